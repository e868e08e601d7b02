"""The settings: six groups read from flat POLICYCHAT_* variables, ``.env``, keyword arguments, and their rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from policychat.errors import ConfigError
from policychat.settings import FIELD_GROUPS, GROUPS, Settings, get_settings, load_settings

# One valid non-default value per field, written as an environment variable would be.
NON_DEFAULT_VALUES = {
    "data_dir": "elsewhere", "sources": "docs", "collection": "other", "chroma_host": "chroma.internal",
    "chroma_port": "8001", "chroma_timeout_seconds": "4", "replica_sync_seconds": "2.5",
    "embedding_model": "/models/e5", "embedding_batch_size": "8",
    "local_model_path": "/models/m.gguf", "llm_base_url": "http://127.0.0.1:8080/v1", "llm_model": "qwen",
    "llm_api_key": "k", "llm_context_tokens": "2048", "llm_timeout_seconds": "9", "chunk_tokens": "120",
    "chunk_overlap_tokens": "20", "max_chunks_per_file": "99", "max_file_seconds": "30", "top_k": "5",
    "candidates": "60", "per_source_cap": "2", "chinese_tokens": "both", "exact_search_max_chunks": "7",
    "generator": "local", "selector_model": "models/selector.json", "answer_threshold": "0.4",
    "llm_max_tokens": "100", "llm_temperature": "0.5", "llm_fallback": "false", "max_question_chars": "500",
    "host": "localhost", "port": "8123", "api_key": "secret", "api_key_reads": "true",
    "allow_public_without_key": "true", "max_upload_mb": "3", "serve_torch_threads": "2", "log_level": "DEBUG",
}


def test_every_field_has_a_sample_value_and_one_group() -> None:
    assert set(NON_DEFAULT_VALUES) == set(FIELD_GROUPS)
    assert set(FIELD_GROUPS.values()) == set(GROUPS) == {"store", "models", "ingest", "retrieval", "answer", "server"}


@pytest.mark.parametrize("name", sorted(NON_DEFAULT_VALUES))
def test_each_flat_variable_reaches_its_group(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    group = FIELD_GROUPS[name]
    default = getattr(getattr(Settings(_env_file=None), group), name)  # type: ignore[call-arg]
    if name == "api_key_reads":  # only valid with a key
        monkeypatch.setenv("POLICYCHAT_API_KEY", "k")
    monkeypatch.setenv(f"POLICYCHAT_{name.upper()}", NON_DEFAULT_VALUES[name])
    value = getattr(getattr(Settings(_env_file=None), group), name)  # type: ignore[call-arg]
    assert value != default
    assert str(value).lower() == NON_DEFAULT_VALUES[name].lower() or value == type(value)(NON_DEFAULT_VALUES[name])


def test_keyword_arguments_beat_variables_which_beat_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("POLICYCHAT_TOP_K=7\nPOLICYCHAT_PORT=9001\nPOLICYCHAT_COLLECTION=from-file\n")
    monkeypatch.setenv("POLICYCHAT_TOP_K", "4")
    monkeypatch.setenv("POLICYCHAT_COLLECTION", "from-env")
    settings = Settings(collection="from-kwargs")  # type: ignore[call-arg]
    assert settings.retrieval.top_k == 4
    assert settings.server.port == 9001
    assert settings.store.collection == "from-kwargs"
    assert Settings(_env_file=None).server.port == 8000  # type: ignore[call-arg]


def test_a_group_can_be_given_whole_and_flat_names_win_over_it() -> None:
    store = Settings(_env_file=None).store.model_copy(update={"collection": "c1"})  # type: ignore[call-arg]
    settings = Settings(store=store, data_dir="d", _env_file=None)  # type: ignore[call-arg]
    assert (settings.store.collection, settings.store.data_dir) == ("c1", Path("d"))


def test_replace_validates_and_does_not_read_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("POLICYCHAT_TOP_K", "3")
    changed = settings.replace(chroma_host="h", per_source_cap=1)
    assert changed.store.uses_chroma_server and changed.retrieval.per_source_cap == 1
    assert changed.retrieval.top_k == settings.retrieval.top_k == 8
    assert not settings.store.uses_chroma_server  # the original is untouched
    with pytest.raises(ConfigError, match="no such setting: topk"):
        settings.replace(topk=3)
    with pytest.raises(ConfigError, match="POLICYCHAT_TOP_K: .*integer.*'many'"):
        settings.replace(top_k="many")


def test_a_refused_variable_is_named_in_one_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCHAT_PORT", "eighty")
    monkeypatch.setenv("POLICYCHAT_CHINESE_TOKENS", "letters")
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert "POLICYCHAT_PORT" in message and "'eighty'" in message
    assert "POLICYCHAT_CHINESE_TOKENS" in message and "'letters'" in message
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="POLICYCHAT_PORT"):
        get_settings()


@pytest.mark.parametrize(("values", "named"), [
    ({"chunk_tokens": 100, "chunk_overlap_tokens": 50}, "POLICYCHAT_CHUNK_OVERLAP_TOKENS=50"),
    ({"generator": "openai"}, "POLICYCHAT_LLM_BASE_URL"),
    ({"api_key_reads": True}, "POLICYCHAT_API_KEY_READS"),
    ({"host": "0.0.0.0"}, "Refusing to serve on 0.0.0.0"),
])
def test_contradicting_values_are_refused_naming_the_variables(values: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match=named):
        Settings(_env_file=None).replace(**values)  # type: ignore[call-arg]


def test_a_public_host_is_served_with_a_key_or_an_explicit_waiver() -> None:
    assert Settings(_env_file=None, host="0.0.0.0", api_key="k").server.api_key == "k"  # type: ignore[call-arg]
    waived = Settings(_env_file=None, host="0.0.0.0", allow_public_without_key=True)  # type: ignore[call-arg]
    assert waived.server.allow_public_without_key


def test_a_group_given_whole_beats_the_variables_of_its_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCHAT_COLLECTION", "from-env")
    monkeypatch.setenv("POLICYCHAT_TOP_K", "4")
    store = Settings(_env_file=None, collection="given").store  # type: ignore[call-arg]
    settings = Settings(store=store, _env_file=None)  # type: ignore[call-arg]
    assert settings.store.collection == "given"
    assert settings.retrieval.top_k == 4
