"""An instrument's photo: images only, checked by content; shown on the public detail page."""

from __future__ import annotations

import io

from tests.conftest import login
from tests.factories import InstrumentFactory, OrganisationFactory, UserFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_owner_uploads_a_photo_and_a_fake_is_refused(app, client):
    owner = UserFactory(role="researcher", org=OrganisationFactory(kind="university"))
    instrument = InstrumentFactory(org=owner.org)
    login(client, owner)
    fake = client.post(
        f"/instruments/{instrument.id}/photo",
        data={"photo": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    assert client.get(f"/instruments/{instrument.id}/photo").status_code == 404
    ok = client.post(
        f"/instruments/{instrument.id}/photo",
        data={"photo": (io.BytesIO(PNG), "sem.png")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    anonymous = app.test_client()
    assert 'data-testid="photo"' in anonymous.get(f"/instruments/{instrument.id}").get_data(
        as_text=True
    )
    served = anonymous.get(f"/instruments/{instrument.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    other = app.test_client()
    login(other, UserFactory(role="researcher"))
    assert (
        other.post(
            f"/instruments/{instrument.id}/photo",
            data={"photo": (io.BytesIO(PNG), "x.png")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
