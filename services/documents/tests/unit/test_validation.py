"""Deep checks of uploaded files (DO-1): what is refused, and why, in French."""
import os

import pytest

from documents_service import samples
from documents_service.validation import MAX_IMAGE_PIXELS, FileRejected, validate_file


def check(tmp_path, data):
    path = tmp_path / "upload"
    path.write_bytes(data)
    return validate_file(str(path))


@pytest.mark.parametrize("data, content_type", [
    (samples.pdf(3), "application/pdf"), (samples.png(), "image/png"), (samples.jpeg(), "image/jpeg"),
])
def test_good_files_pass(tmp_path, data, content_type):
    assert check(tmp_path, data)["content_type"] == content_type


def test_pdf_page_count_and_image_size_are_reported(tmp_path):
    assert check(tmp_path, samples.pdf(3))["details"] == {"pages": 3}
    assert check(tmp_path, samples.png(640, 480))["details"] == {"width": 640, "height": 480}


@pytest.mark.parametrize("name, data, code", [
    ("zero bytes", b"", "empty"),
    ("an executable named a.pdf.exe", samples.exe(), "unsupported_type"),
    ("a GIF", b"GIF89a" + b"\x00" * 100, "unsupported_type"),
    ("a truncated PDF", samples.truncated(samples.pdf(3)), "pdf_unreadable"),
    ("a corrupt PDF", b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n", "pdf_unreadable"),
    ("an encrypted PDF", samples.encrypted_pdf(), "pdf_encrypted"),
    ("a PDF with JavaScript on opening", samples.javascript_pdf("open_action"), "pdf_active_content"),
    ("a PDF with document-level JavaScript", samples.javascript_pdf("names"), "pdf_active_content"),
    ("a PDF with an automatic page action", samples.javascript_pdf("page_aa"), "pdf_active_content"),
    ("a truncated PNG", samples.truncated(samples.png(300, 300)), "image_unreadable"),
    ("a truncated JPEG", samples.truncated(samples.jpeg(300, 300)), "image_unreadable"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, name, data, code):
    with pytest.raises(FileRejected) as refused:
        check(tmp_path, data)
    assert refused.value.code == code, name
    assert refused.value.message and refused.value.message[0].isupper()


@pytest.mark.parametrize("kind", samples.ACTIVE_PDF_KINDS)
def test_every_active_content_of_a_pdf_is_refused(tmp_path, kind):
    """Issue 18, finding 3: XFA forms, remote files (GoToR to a network share), addresses (URI),
    form submission and import, rich media, embedded and attached files, and every other action
    type than GoTo are refused, in French."""
    with pytest.raises(FileRejected) as refused:
        check(tmp_path, samples.pdf_with(kind))
    assert refused.value.code == "pdf_active_content", kind
    assert "contenu actif" in refused.value.message


@pytest.mark.parametrize("kind", samples.PASSIVE_PDF_KINDS)
def test_what_scanned_and_printed_documents_have_is_accepted(tmp_path, kind):
    assert check(tmp_path, samples.pdf_with(kind))["content_type"] == "application/pdf"


def test_the_policy_names_every_action_type_of_the_pdf_specification():
    from documents_service.validation import ACTION_TYPES, ALLOWED_ACTIONS

    assert len(ACTION_TYPES) == 20 and ALLOWED_ACTIONS == {"/GoTo"}


def test_a_png_with_a_broken_checksum_is_refused(tmp_path):
    data = bytearray(samples.png(100, 100))
    data[40] ^= 0xFF  # inside the image data chunk
    with pytest.raises(FileRejected) as refused:
        check(tmp_path, bytes(data))
    assert refused.value.code == "image_unreadable"


def test_a_20000_by_20000_png_is_refused_without_decoding_it(tmp_path):
    import resource

    bomb = samples.png_bomb(20_000, 20_000)
    assert len(bomb) < 100_000  # a few kilobytes that would decode to 400 million pixels
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FileRejected) as refused:
        check(tmp_path, bomb)
    assert refused.value.code == "image_too_large"
    assert "40 millions de pixels" in refused.value.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # kB: nothing decoded


def test_the_limit_is_the_documented_one(tmp_path):
    assert MAX_IMAGE_PIXELS == 40_000_000
    with pytest.raises(FileRejected):
        check(tmp_path, samples.png_bomb(8000, 5001))  # 40,008,000 pixels
    assert check(tmp_path, samples.png_bomb(8000, 5000))["details"] == {"width": 8000, "height": 5000}


def test_truncated_images_stay_refused_in_a_worker_that_rendered_pdfs(tmp_path):
    import weasyprint  # noqa: F401  (it relaxes Pillow's LOAD_TRUNCATED_IMAGES at import)

    with pytest.raises(FileRejected):
        check(tmp_path, samples.truncated(samples.jpeg(300, 300)))
