"""Embeddings are offline: the packaged USE by default, a local model directory otherwise, never a download."""
import subprocess
import sys

import numpy as np
import pytest

from jinnang.ingest.embed import EmbeddingConfigError, JinnangEmbeddingFunction, get_embedder, minilm_model_dir
from jinnang.ingest.vectors import collection_name, open_chroma, open_collection


def test_default_embedder_ranks_a_chinese_paraphrase_above_an_unrelated_sentence():
    vectors = get_embedder().embed(["医生嫌操作太麻烦", "大夫觉得步骤多、上手难", "今年的年会在杭州开"])
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_a_model_name_that_is_not_a_local_directory_is_a_configuration_error():
    with pytest.raises(EmbeddingConfigError, match="not a local directory"):
        get_embedder("sentence-transformers/all-MiniLM-L6-v2")


def test_a_model_directory_without_sentence_transformers_installed_names_the_st_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as if the package were not installed
    with pytest.raises(EmbeddingConfigError, match=r"jinnang\[st\]"):
        get_embedder(str(tmp_path))  # at construction, before any text is embedded


def test_the_default_embedder_never_imports_torch():
    code = ("import sys; from jinnang.ingest.embed import get_embedder; get_embedder().embed(['x']); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_local_sentence_transformers_directory_loads_offline():
    pytest.importorskip("sentence_transformers",
                        reason="sentence-transformers comes with the optional extra: pip install 'jinnang[st]'")
    embedder = get_embedder(str(minilm_model_dir()))
    vectors = embedder.embed(["the doctor says the price is too high", "cost is above budget", "weather"])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_collections_use_the_projects_embedding_function_even_when_reopened_without_it(settings):
    collection = open_collection(settings, "chunks")
    collection.add(ids=["a"], documents=["设备科要注册证"])
    reopened = open_chroma(settings).get_collection(collection_name("chunks", settings.embedding_model))
    # Chroma embeds with the persisted function when none is passed; ours is registered, so it is rebuilt
    assert isinstance(reopened.configuration["embedding_function"], JinnangEmbeddingFunction)
    assert reopened.query(query_texts=["注册证明文件"], n_results=1)["ids"] == [["a"]]


def test_each_embedding_model_gets_its_own_collection():
    assert collection_name("chunks", "use-multilingual") != collection_name("chunks", "/models/bge-small-zh")
