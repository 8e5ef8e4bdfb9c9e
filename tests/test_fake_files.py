"""The fake's Files API and its model's answer to image / file parts, through the real SDK."""

from __future__ import annotations

import base64

import openai
import pytest

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3 + b"\r\n--not-a-boundary\r\n"


def test_upload_keeps_every_byte_and_answers_the_sdk_file_object(fake_api, fake_client):
    uploaded = fake_client.files.create(file=("cat.png", PNG, "image/png"), purpose="vision")
    assert uploaded.object == "file" and uploaded.id.startswith("file-")
    assert (uploaded.filename, uploaded.purpose, uploaded.bytes) == ("cat.png", "vision", len(PNG))
    assert fake_api.files.get(uploaded.id).data == PNG
    assert fake_client.files.retrieve(uploaded.id).filename == "cat.png"
    assert [f.id for f in fake_client.files.list()] == [uploaded.id]
    deleted = fake_client.files.delete(uploaded.id)
    assert deleted.deleted and deleted.id == uploaded.id
    with pytest.raises(openai.NotFoundError):
        fake_client.files.retrieve(uploaded.id)


def test_upload_without_a_valid_purpose_is_refused(fake_client):
    with pytest.raises(openai.BadRequestError) as info:
        fake_client.files.create(file=("a.txt", b"hi", "text/plain"), purpose="nonsense")  # type: ignore[arg-type]
    assert "purpose" in str(info.value)


def test_the_model_names_each_part_it_got(fake_api, fake_client):
    pdf = fake_client.files.create(file=("paper.pdf", b"%PDF-1.4 tiny", "application/pdf"), purpose="user_data")
    inline = "data:image/png;base64," + base64.b64encode(PNG).decode()
    reply = fake_client.responses.create(
        model="gpt-4.1",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What are these?"},
                    {"type": "input_image", "image_url": inline, "detail": "auto"},
                    {"type": "input_file", "file_id": pdf.id},
                    {"type": "input_text", "text": '<file name="a.txt">\nhello\n</file>'},
                ],
            }
        ],
    )
    text = reply.output_text
    assert 'You said: "What are these?"' in text
    assert "I received 3 attachments:" in text
    assert f"- image inline image/png ({len(PNG)} bytes)" in text
    assert f'- file {pdf.id} "paper.pdf" (user_data, 13 bytes)' in text
    assert '- text "<file name="a.txt">" (33 chars)' in text


def test_a_part_naming_an_unknown_file_is_a_400(fake_client):
    with pytest.raises(openai.BadRequestError) as info:
        fake_client.responses.create(
            model="gpt-4.1",
            input=[
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hi"}, {"type": "input_file", "file_id": "file-nope"}],
                }
            ],
        )
    assert "file-nope" in str(info.value)


def test_a_server_without_files_answers_404():
    from termchat.fake_api import FakeAPI

    with FakeAPI(files=False) as api:
        client = openai.OpenAI(base_url=api.base_url, api_key="x", max_retries=0)
        with pytest.raises(openai.NotFoundError):
            client.files.create(file=("a.pdf", b"%PDF-1", "application/pdf"), purpose="user_data")
