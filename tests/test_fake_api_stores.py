"""The fake API's models, files and vector stores, read through the real openai SDK."""

import openai
import pytest


def test_models_list_and_retrieve_in_sdk_shapes(fake_client, fake_api):
    listed = list(fake_client.models.list())
    assert {"gpt-5.2", "gpt-4o"} <= {m.id for m in listed} and listed[0].object == "model"
    assert fake_client.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError) as caught:
        fake_client.models.retrieve("no-such-model")
    assert caught.value.body["code"] == "model_not_found"


def test_a_responses_only_server_has_no_models_endpoint(fake_client, fake_api):
    fake_api.models_enabled = False
    with pytest.raises(openai.NotFoundError):
        fake_client.models.list()


def test_upload_retrieve_delete_a_file(fake_client, tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\nhello\n")
    with path.open("rb") as handle:
        uploaded = fake_client.files.create(file=handle, purpose="assistants")
    assert uploaded.id.startswith("file-") and uploaded.filename == "notes.md"
    assert uploaded.bytes == len("# Notes\nhello\n") and uploaded.purpose == "assistants"
    assert fake_client.files.retrieve(uploaded.id).filename == "notes.md"
    assert fake_client.files.delete(uploaded.id).deleted
    with pytest.raises(openai.NotFoundError):
        fake_client.files.retrieve(uploaded.id)


def test_upload_with_a_bad_purpose_is_the_api_400(fake_client):
    with pytest.raises(openai.BadRequestError) as caught:
        fake_client.files.create(file=("a.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    assert caught.value.body["param"] == "purpose"


def test_vector_store_lifecycle_and_file_processing(fake_client, fake_api):
    fake_api.vector_store_shelf.file_polls = 2
    store = fake_client.vector_stores.create(name="Docs")
    assert store.name == "Docs" and store.file_counts.total == 0
    assert store.id in [s.id for s in fake_client.vector_stores.list()]
    good = fake_client.files.create(file=("guide.txt", b"how to"), purpose="assistants")
    attached = fake_client.vector_stores.files.create(vector_store_id=store.id, file_id=good.id)
    assert attached.status == "in_progress"
    assert fake_client.vector_stores.retrieve(store.id).file_counts.in_progress == 1  # no poll used
    seen = [fake_client.vector_stores.files.retrieve(good.id, vector_store_id=store.id).status for _ in range(3)]
    assert seen == ["in_progress", "in_progress", "completed"]
    counts = fake_client.vector_stores.retrieve(store.id).file_counts
    assert (counts.completed, counts.total) == (1, 1)
    assert fake_client.vector_stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        fake_client.vector_stores.retrieve(store.id)
    assert store.id not in [s.id for s in fake_client.vector_stores.list()]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("broken.pdf", b"not a pdf", "invalid_file"),
        ("photo.bin", b"\x00\x01", "unsupported_file"),
    ],
)
def test_a_file_the_store_cannot_read_fails_processing(fake_client, fake_api, name, data, code):
    fake_api.vector_store_shelf.file_polls = 0
    store = fake_client.vector_stores.create(name="S")
    uploaded = fake_client.files.create(file=(name, data), purpose="assistants")
    attached = fake_client.vector_stores.files.create(vector_store_id=store.id, file_id=uploaded.id)
    assert attached.status == "failed" and attached.last_error.code == code


def test_attaching_an_unknown_file_or_to_an_unknown_store_is_404(fake_client):
    store = fake_client.vector_stores.create(name="S")
    with pytest.raises(openai.NotFoundError):
        fake_client.vector_stores.files.create(vector_store_id=store.id, file_id="file-nope")
    with pytest.raises(openai.NotFoundError):
        fake_client.vector_stores.files.create(vector_store_id="vs_nope", file_id="file-nope")


def test_seeded_stores_are_listed_and_can_be_deleted(fake_client, fake_api):
    fake_api.vector_stores = [("vs_seed", "Seeded", 4)]
    assert [(s.id, s.file_counts.completed) for s in fake_client.vector_stores.list()] == [("vs_seed", 4)]
    fake_client.vector_stores.delete("vs_seed")
    assert list(fake_client.vector_stores.list()) == []
