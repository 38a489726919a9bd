"""Keyword extraction keeps domain terms whole and drops generic words."""

from marketplace.text.keywords import extract_keywords


def test_domain_terms_stay_whole_and_come_first():
    keywords = extract_keywords(
        "石墨烯导热膜的低成本制备技术",
        "本项目采用化学气相沉积法制备石墨烯导热膜，用于手机散热，导热系数高，成本低。",
    )
    assert "石墨烯" in keywords[:3]
    assert "石墨" not in keywords
    assert "技术" not in keywords and "本项目" not in keywords


def test_limit_and_dedup_and_empty():
    keywords = extract_keywords("LED 手电筒", "LED led 红外开关 控制 手电筒 红外开关", limit=2)
    assert len(keywords) == 2
    assert len({k.lower() for k in keywords}) == 2
    assert extract_keywords("", "") == []
    assert extract_keywords("锂电池回收", "废旧锂电池回收", limit=0) == []


def test_mixed_text_gives_recycling_terms():
    keywords = extract_keywords("废旧锂电池回收利用", "采用湿法冶金从废旧锂电池中回收钴、镍、锂。")
    assert "锂电池" in keywords or "锂电池回收" in keywords
    assert all(len(k) >= 2 for k in keywords)
