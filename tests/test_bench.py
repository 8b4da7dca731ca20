"""The pure parts of the benchmark harness (scripts/bench.py): no servers, no training."""
import json

import pytest

from scripts import bench


def test_percentile_interpolates_between_ranks_like_numpy():
    values = [10, 20, 30, 40, 50]
    assert bench.percentile(values, 50) == 30
    assert bench.percentile(values, 0) == 10
    assert bench.percentile(values, 100) == 50
    assert bench.percentile(values, 95) == pytest.approx(48.0)  # numpy.percentile(values, 95)
    assert bench.percentile(values, 25) == pytest.approx(20.0)
    assert bench.percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)  # unsorted input
    assert bench.percentile([7], 95) == 7
    assert bench.percentile([], 50) is None
    with pytest.raises(ValueError):
        bench.percentile(values, 101)


def test_summary_is_in_milliseconds():
    summary = bench.summarize_ms([0.010, 0.020, 0.030])
    assert summary == {"n": 3, "p50_ms": pytest.approx(20), "p95_ms": pytest.approx(29),
                       "mean_ms": pytest.approx(20), "max_ms": pytest.approx(30)}
    assert bench.summarize_ms([])["p50_ms"] is None


def test_ratio_and_comparisons():
    assert bench.ratio(30, 60) == 0.5
    assert bench.ratio(None, 60) is None and bench.ratio(30, None) is None
    assert bench.ratio(30, 0) is None
    assert bench.meets(30, "<=", 30) is True and bench.meets(30.1, "<=", 30) is False
    assert bench.meets(2, ">=", 2) is True and bench.meets(1.9, ">=", 2) is False
    assert bench.meets(0, "==", 0) is True and bench.meets(1, "==", 0) is False
    assert bench.meets(None, "<=", 30) is None
    with pytest.raises(ValueError):
        bench.meets(1, "<", 2)


def bot(turn_p50, turn_p95, parse_p50, tput20, errors20, rasa_mb=900.0, training=100.0):
    return {
        "config": "x.yml", "error": None,
        "training": {"seconds": training},
        "cold_start": {"total_s": 20.0},
        "sequential": {"turn": {"p50_ms": turn_p50, "p95_ms": turn_p95, "mean_ms": turn_p50},
                       "parse": {"p50_ms": parse_p50, "p95_ms": parse_p50 * 2},
                       "turn_over_parse_p50": turn_p50 / parse_p50,
                       "turn_over_parse_p95": turn_p95 / (parse_p50 * 2),
                       "kb_answer_pct": 100.0},
        "concurrency": {"20": {"throughput_msg_s": tput20, "p50_ms": 400.0, "p95_ms": 600.0,
                               "error_count": errors20}},
        "rss": {"rasa": {"peak_mb": rasa_mb}, "actions": {"peak_mb": 120.0}},
    }


def rows_by_key(rows):
    return {row["key"]: row for row in rows}


def test_rows_give_ours_peer_ratio_and_pass_fail_of_ours():
    bots = {"ours": bot(25, 70, 20, tput20=50, errors20=0),
            "peer": bot(100, 200, 80, tput20=20, errors20=3, rasa_mb=1500, training=300)}
    rows = rows_by_key(bench.build_rows(bots, [20]))

    p50 = rows["sequential.turn.p50_ms"]
    assert (p50["ours"], p50["peer"], p50["ratio"], p50["pass"]) == (25, 100, 0.25, True)
    assert p50["target"] == "<= 30"
    assert rows["sequential.turn.p95_ms"]["pass"] is False  # 70 > 60
    assert rows["sequential.turn_over_parse_p50"]["ours"] == 1.25
    assert rows["sequential.turn_over_parse_p50"]["pass"] is True  # 1.25 <= 1.5
    # throughput at 20: the target is on ours/peer (2.5 >= 2), not on ours
    tput = rows["concurrency.20.throughput_msg_s"]
    assert tput["ratio"] == 2.5 and tput["pass"] is True and tput["target"] == "ours/peer >= 2"
    errors = rows["concurrency.20.error_count"]
    assert (errors["ours"], errors["peer"], errors["pass"]) == (0, 3, True)
    assert rows["rss.rasa.peak_mb"]["pass"] is True  # only ours is judged
    assert rows["training.seconds"]["pass"] is True
    # figures without a target are not judged
    assert rows["sequential.turn.mean_ms"]["pass"] is None
    assert rows["sequential.turn.mean_ms"]["target"] == ""


def test_throughput_below_twice_the_peer_and_errors_fail():
    bots = {"ours": bot(25, 50, 20, tput20=30, errors20=2), "peer": bot(100, 200, 80, 20, 0)}
    rows = rows_by_key(bench.build_rows(bots, [20]))
    assert rows["concurrency.20.throughput_msg_s"]["pass"] is False  # 1.5x
    assert rows["concurrency.20.error_count"]["pass"] is False


def test_missing_figures_are_not_measured_not_failed():
    ours = bot(25, 50, 20, tput20=30, errors20=0)
    ours["training"] = {"seconds": None}  # smoke mode reuses the model
    rows = bench.build_rows({"ours": ours, "peer": {"error": "serving: died"}}, [1, 20])
    by_key = rows_by_key(rows)
    assert by_key["training.seconds"]["pass"] is None
    assert by_key["concurrency.20.throughput_msg_s"]["pass"] is None  # no peer: no ratio
    assert by_key["concurrency.1.p50_ms"]["ours"] is None  # level not run
    summary = bench.target_summary(rows)
    assert "training time" in summary["not_measured"]
    assert "c=20 throughput" in summary["not_measured"]
    assert "turn p50 (sequential)" in summary["passed"]
    table = bench.format_table(rows)
    assert "n/a" in table and "PASS" in table


def test_only_the_level_of_20_has_targets():
    targets = {f.key: f.target for f in bench.figures([1, 10, 20, 50]) if f.op}
    assert "concurrency.20.throughput_msg_s" in targets
    assert not any(k.startswith(("concurrency.1.", "concurrency.10.", "concurrency.50."))
                   for k in targets)


def test_table_has_one_line_per_figure_and_aligned_columns():
    bots = {"ours": bot(25, 70, 20, 50, 0), "peer": bot(100, 200, 80, 20, 0)}
    rows = bench.build_rows(bots, [20])
    lines = bench.format_table(rows).splitlines()
    assert len(lines) == len(rows) + 2  # header and rule
    assert lines[0].split()[:3] == ["figure", "unit", "ours"]
    p95 = next(line for line in lines if line.startswith("turn p95 (sequential)"))
    assert "70.0" in p95 and "200.0" in p95 and "0.35" in p95 and p95.endswith("FAIL")


def test_lookup_follows_dotted_paths_and_ignores_non_numbers():
    doc = {"a": {"b": {"c": 1.5}, "flag": True, "s": "x"}}
    assert bench.lookup(doc, "a.b.c") == 1.5
    assert bench.lookup(doc, "a.b.missing") is None
    assert bench.lookup(doc, "a.flag") is None and bench.lookup(doc, "a.s") is None
    assert bench.lookup(None, "a") is None


def valid_doc():
    bots = {"ours": bot(25, 50, 20, 50, 0), "peer": bot(100, 200, 80, 20, 0)}
    rows = bench.build_rows(bots, [20])
    return {
        "schema_version": bench.SCHEMA_VERSION, "mode": "smoke",
        "settings": {"turns": 20, "warmup": 5, "messages": 3, "concurrency": [20],
                     "request_timeout_s": 30.0, "level_timeout_s": 60.0,
                     "questions": list(bench.QUESTIONS)},
        "machine": {"cpu_count": 2, "python": "3.10.0", "rasa": "3.6.21",
                    "date": "2025-01-01T00:00:00+00:00", "git_commit": "abc"},
        "bots": bots, "rows": rows, "targets": bench.target_summary(rows), "duration_s": 12.5,
    }


def test_results_are_written_as_json_matching_the_schema(tmp_path):
    doc = valid_doc()
    assert bench.schema_errors(doc) == []
    path = tmp_path / "results" / "bench.json"
    bench.write_results(doc, path)
    assert json.loads(path.read_text(encoding="utf-8")) == doc
    assert not list(path.parent.glob("*.tmp"))


@pytest.mark.parametrize("breakage, error", [
    (lambda d: d.pop("machine"), "machine: missing"),
    (lambda d: d["machine"].pop("git_commit"), "machine.git_commit: missing"),
    (lambda d: d["settings"].update(turns="20"), "settings.turns: str"),
    (lambda d: d["settings"].update(turns=True), "settings.turns: bool"),
    (lambda d: d["bots"].pop("peer"), "bots.peer: missing"),
    (lambda d: d["bots"]["ours"].pop("rss"), "bots.ours.rss: missing"),
    (lambda d: d.update(duration_s=None), "duration_s: NoneType"),
])
def test_a_document_off_the_schema_is_not_written(tmp_path, breakage, error):
    doc = valid_doc()
    breakage(doc)
    assert any(e.startswith(error) for e in bench.schema_errors(doc)), bench.schema_errors(doc)
    with pytest.raises(ValueError, match="schema"):
        bench.write_results(doc, tmp_path / "bench.json")
    assert not (tmp_path / "bench.json").exists()


def test_nan_is_refused_rather_than_written_as_invalid_json(tmp_path):
    doc = valid_doc()
    doc["bots"]["ours"]["sequential"]["turn"]["p50_ms"] = float("nan")
    with pytest.raises(ValueError):
        bench.write_results(doc, tmp_path / "bench.json")


def test_smoke_and_full_settings():
    full = bench.parse_args([])
    assert (full.turns, full.messages, full.concurrency) == (200, 20, [1, 10, 20, 50])
    assert full.out.name == "bench.json"
    smoke = bench.parse_args(["--smoke", "--reuse-models", "--turns", "7"])
    assert (smoke.turns, smoke.messages, smoke.concurrency) == (7, 3, [1, 10])
    assert smoke.out.name == "bench-smoke.json"
    assert bench.parse_args(["--reuse-models"]).reuse_models  # the peer only, see ours_model


def test_unavailable_replies_are_read_from_the_rest_channel():
    texts = bench.unavailable_texts()  # without importing channels.rest (Rasa, TensorFlow)
    assert set(texts) == {"en", "vi"}
    assert all("1900 232 389" in text for text in texts.values())


def test_peer_cache_key_changes_with_the_config(tmp_path):
    a, b = tmp_path / "a.yml", tmp_path / "b.yml"
    a.write_text("language: en\n")
    b.write_text("language: vi\n")
    assert bench.data_fingerprint(a, "rasa 3.6.21") == bench.data_fingerprint(a, "rasa 3.6.21")
    assert bench.data_fingerprint(a, "rasa 3.6.21") != bench.data_fingerprint(b, "rasa 3.6.21")
    assert bench.data_fingerprint(a, "rasa 3.6.21") != bench.data_fingerprint(a, "rasa 3.6.20")
