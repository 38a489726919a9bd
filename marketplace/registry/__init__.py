"""The registration office: certificates, public verification, worklist, reports, bulletins."""
