"""Appeal attachments: images and PDFs only (judged by content), size- and count-limited, shown only to the parties."""
import io
import struct
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.core.errors import ValidationFailed
from marketplace.moderation import services
from marketplace.moderation.models import Appeal, AppealAttachment
from marketplace.moderation.storage import LocalStorage, sniff
from tests.factories import make_admin, make_sanction, make_trainer

TEXT = "The screenshot shows the task timer stopped while I was reading the instructions."


def tiny_png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def upload_dir(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    yield tmp_path / "appeals"
    app.config["UPLOAD_DIR"] = previous


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*")) if folder.exists() else []


def test_content_sniffing_trusts_bytes_not_names():
    assert sniff(tiny_png()) == ("image/png", "png")
    assert sniff(PDF) == ("application/pdf", "pdf")
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ("image/webp", "webp")
    assert sniff(b"<html><script>alert(1)</script>") is None
    assert sniff(b"MZ\x90\x00") is None


def test_trainer_attaches_a_screenshot_and_a_pdf_and_both_parties_can_open_them(client, db, login, upload_dir):
    trainer, issuer, other_admin, stranger = make_trainer(), make_admin(), make_admin(), make_trainer()
    sanction = make_sanction(trainer, issuer)
    login(trainer)
    response = client.post(f"/appeals/new/sanction/{sanction.id}", content_type="multipart/form-data", data={
        "text": TEXT, "attachments": [(io.BytesIO(tiny_png()), "timer.png"), (io.BytesIO(PDF), "../../export.pdf")]})
    assert response.status_code == 302, response.data
    appeal = db.session.scalar(sa.select(Appeal))
    assert [(a.filename, a.content_type) for a in appeal.attachments] == [("timer.png", "image/png"),
                                                                          ("export.pdf", "application/pdf")]
    assert len(stored_files(upload_dir)) == 2
    png = appeal.attachments[0]
    url = f"/appeals/{appeal.id}/attachments/{png.id}"
    got = client.get(url)
    assert got.status_code == 200 and got.data == tiny_png() and got.mimetype == "image/png"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    pdf = client.get(f"/appeals/{appeal.id}/attachments/{appeal.attachments[1].id}")
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    login(other_admin)
    assert client.get(url).status_code == 200
    login(stranger)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name, data, message", [
    ("evil.png", b"<html><script>alert(1)</script></html>", "is not a PNG, JPEG, GIF or WebP image or a PDF"),
    ("empty.png", b"", "is empty"),
    ("huge.pdf", PDF + b"0" * 2048, "larger than"),
])
def test_bad_attachments_are_refused_and_nothing_is_kept(app, db, upload_dir, name, data, message):
    app.config["APPEAL_ATTACHMENT_MAX_BYTES"] = 1024
    try:
        trainer = make_trainer()
        sanction = make_sanction(trainer, make_admin())
        with pytest.raises(ValidationFailed, match=message):
            services.file_appeal(trainer, "sanction", sanction.id, TEXT, files=[("ok.png", tiny_png()), (name, data)])
        db.session.rollback()
        assert stored_files(upload_dir) == []  # the good file saved first was removed too
        assert db.session.scalar(sa.select(sa.func.count(Appeal.id))) == 0
    finally:
        app.config["APPEAL_ATTACHMENT_MAX_BYTES"] = 5 * 1024 * 1024


def test_too_many_attachments_are_refused(db, upload_dir):
    trainer = make_trainer()
    sanction = make_sanction(trainer, make_admin())
    with pytest.raises(ValidationFailed, match="at most 5 files"):
        services.file_appeal(trainer, "sanction", sanction.id, TEXT, files=[(f"{i}.png", tiny_png()) for i in range(6)])
    assert stored_files(upload_dir) == []


def test_storage_refuses_keys_that_could_leave_its_folder(tmp_path):
    storage = LocalStorage(tmp_path)
    key = storage.save(b"x", "png")
    assert storage.read(key) == b"x"
    from marketplace.core.errors import NotFound
    for bad in ("../secret_key", "/etc/passwd", key + "/..", "ABC.png"):
        with pytest.raises(NotFound):
            storage.read(bad)


def test_attachment_rows_need_a_known_type_in_the_schema(db):
    trainer = make_trainer()
    appeal = services.file_appeal(trainer, "sanction", make_sanction(trainer, make_admin()).id, TEXT)
    db.session.commit()
    db.session.add(AppealAttachment(appeal_id=appeal.id, filename="x.svg", content_type="image/svg+xml",
                                    size_bytes=10, sha256="0" * 64, storage_key="k"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
