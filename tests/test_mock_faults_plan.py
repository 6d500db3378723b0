"""The mock's fault plan: which requests a rate, a mix or a request scope picks is seeded and does not
depend on request order, the expected outcome of a set of rules matches what the server would do,
and the plan's configuration forms agree, refuse bad input and are built by the command line."""

from __future__ import annotations

import json
import re
import threading

import pytest
from hypothesis import given, settings, strategies as st

from mocksite import __main__ as mock_main
from mocksite.faults import ALL, KINDS, PAGES, FaultMix, FaultPlan, FaultRule, path_class
from tests.mock_faults_helpers import ARTICLE_KINDS, NODE_API


# --------------------------------------------------------------------------- seeded decisions
def article_targets(n=2000):
    return [f"/newsDetail_forward_{32_000_000 + 29 * i}" for i in range(n)]


def test_rate_picks_a_fixed_set_of_paths_per_seed():
    targets = article_targets(1000)

    def hit(seed):
        plan = FaultPlan([{"pattern": "forward", "kind": "500", "rate": 0.3}], seed)
        return [plan.decide(t) is not None for t in targets]

    a, b, c = hit(1), hit(1), hit(2)
    assert a == b and a != c and 0.25 < sum(a) / len(a) < 0.35
    plan = FaultPlan([{"pattern": "forward", "kind": "500", "rate": 0.3}], 1)
    for t, first_hit in list(zip(targets, a))[:50]:
        assert all((plan.decide(t) is not None) == first_hit for _ in range(3))


def test_mix_spreads_applicable_kinds_reproducibly():
    targets = article_targets()
    mix = {"mix": 0.2, "seed": 3, "times": 2, "permanent": 0.25}
    plan = FaultPlan.from_config(mix)
    picks = {t: plan.assigned(t) for t in targets}
    hit = {t: r[0] for t, r in picks.items() if r}
    assert 0.17 < len(hit) / len(targets) < 0.23
    kinds = {r.kind for r in hit.values()}
    assert kinds == {k for k in KINDS if "article" in KINDS[k].targets}
    assert not any(k.startswith("api_") for k in kinds)
    perm = sum(r.times is None for r in hit.values()) / len(hit)
    assert 0.18 < perm < 0.32
    again = FaultPlan.from_config(dict(mix))
    assert {t: again.assigned(t) for t in targets} == picks
    other = FaultPlan.from_config(dict(mix, seed=4))
    assert {t: other.assigned(t) for t in targets} != picks


def test_mix_on_api_keys_uses_api_and_transport_kinds_only():
    plan = FaultPlan([{"mix": 1.0, "kinds": list(KINDS)}], seed=1)
    kinds = {
        plan.assigned(NODE_API, json.dumps({"nodeId": 27234, "startTime": t}).encode())[0].kind for t in range(400)
    }
    assert {k for k in kinds if k.startswith("api_")} == {
        "api_busy",
        "api_missing_fields",
        "api_empty_hasnext",
        "api_cursor_stuck",
    }
    assert not kinds & {k for k in KINDS if KINDS[k].targets == PAGES}
    assert plan.assigned("/robots.txt") == []  # the default mix pattern leaves robots.txt alone


def test_decisions_do_not_depend_on_request_order():
    targets = article_targets(300)
    config = [
        {"pattern": "forward", "kind": "503", "rate": 0.3, "times": 2},
        {"mix": 0.3, "seed": 9, "times": 1, "permanent": 0.5},
    ]

    def run(order, threads=1):
        plan = FaultPlan(config, seed=4)
        seq = {t: [] for t in targets}
        lock = threading.Lock()

        def work(part):
            for t in part:
                r = plan.decide(t)
                with lock:
                    seq[t].append(r.kind if r else None)

        parts = [order[i::threads] for i in range(threads)]
        ths = [threading.Thread(target=work, args=(p,)) for p in parts]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        return seq

    forward = run(targets * 4)
    backward = run(list(reversed(targets)) * 4, threads=4)
    assert forward == backward


def test_request_scope_is_sporadic_and_seeded():
    def run(seed):
        plan = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request"}], seed)
        return [plan.decide("/newsDetail_forward_32000001") is not None for _ in range(200)]

    a = run(1)
    assert a == run(1) and a != run(2) and 0.35 < sum(a) / len(a) < 0.65
    plan = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request"}], 1)
    assert plan.expected_outcome("/newsDetail_forward_32000001") == "flaky"
    capped = FaultPlan([{"kind": "500", "rate": 0.5, "scope": "request", "times": 3}], 1)
    assert sum(capped.decide("/newsDetail_forward_32000001") is not None for _ in range(200)) == 3
    assert capped.expected_outcome("/newsDetail_forward_32000001") == "transient"


def simulate(plan: FaultPlan, target: str, n: int = 8) -> str:
    fails = []
    for _ in range(n):
        r = plan.decide(target)
        fails.append(r is not None and not r.info.benign)
    if not any(fails):
        return "ok"
    return "permanent" if fails[-1] else "transient"


@pytest.mark.parametrize(
    "rules,expected",
    [
        ([], "ok"),
        ([{"kind": "charset_missing"}], "ok"),
        ([{"kind": "nextdata_not_json", "times": 2}], "ok"),
        ([{"kind": "504", "times": 3}], "transient"),
        ([{"kind": "504", "times": 0}], "ok"),
        ([{"kind": "504"}], "permanent"),
        ([{"kind": "429", "times": 1}, {"kind": "gzip_bomb", "times": 2}], "transient"),
        ([{"kind": "429", "times": 1}, {"kind": "truncate"}], "permanent"),
        ([{"kind": "html_unclosed"}, {"kind": "truncate"}], "ok"),  # the benign rule always wins first
        ([{"kind": "waf403", "times": 2}, {"kind": "slow", "delay": 0}], "transient"),
        ([{"kind": "api_busy"}], "ok"),  # not applicable to article pages
        ([{"pattern": "nomatch", "kind": "500"}], "ok"),
    ],
)
def test_expected_outcome_table(rules, expected):
    target = "/newsDetail_forward_32000001"
    assert FaultPlan(rules, 1).expected_outcome(target) == expected
    assert simulate(FaultPlan(rules, 1), target) == expected


_rule = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(ARTICLE_KINDS),
        "rate": st.sampled_from([0.0, 0.3, 0.7, 1.0]),
        "times": st.none() | st.integers(0, 3),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(_rule, max_size=4),
    mixes=st.lists(
        st.fixed_dictionaries(
            {
                "mix": st.sampled_from([0.2, 0.6]),
                "times": st.none() | st.integers(1, 3),
                "permanent": st.sampled_from([0.0, 0.5]),
            }
        ),
        max_size=1,
    ),
    seed=st.integers(0, 2**32),
    n=st.integers(0, 10**6),
)
def test_expected_outcome_matches_what_the_server_would_do(rules, mixes, seed, n):
    target = f"/newsDetail_forward_{32_000_000 + n}"
    plan = FaultPlan(rules + mixes, seed)
    # 16 requests: up to 4 rules and a mix, each failing at most 3 times, fail at most 15 of them
    assert simulate(FaultPlan(rules + mixes, seed), target, 16) == plan.expected_outcome(target)


def test_no_rule_means_no_work():
    plan = FaultPlan()
    assert not plan.active and plan.decide("/newsDetail_forward_1") is None
    plan = FaultPlan([{"pattern": "^/list_", "kind": "500"}])
    assert plan.decide("/newsDetail_forward_1") is None and not plan._seen


# --------------------------------------------------------------------------- configuration
def test_config_forms_agree(tmp_path):
    rules = [{"pattern": "forward", "kind": "503", "rate": 0.5, "times": 1}, {"mix": 0.3, "seed": 2}]
    doc = {"seed": 7, "rules": rules, "max_delay": 3}
    f = tmp_path / "faults.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    plans = [
        FaultPlan.from_config(doc),
        FaultPlan.from_config(f),
        FaultPlan.from_config(str(f)),
        FaultPlan(rules, 7, max_delay=3),
    ]
    targets = article_targets(200)
    results = [[[p.decide(t) for t in targets] for _ in range(2)] for p in plans]
    assert all(r == results[0] for r in results)
    assert all(p.max_delay == 3 and p.seed == 7 for p in plans)
    single = FaultPlan.from_config({"mix": 0.2, "kinds": ["500", "reset"], "seed": 3})
    assert single.seed == 3 and isinstance(single.entries[0], FaultMix)
    assert single.entries[0].kinds == ("500", "reset_before_response")
    assert isinstance(FaultPlan.from_config({"kind": "500"}).entries[0], FaultRule)


@pytest.mark.parametrize(
    "bad",
    [
        [{"kind": "explode"}],
        [{"kind": "500", "rate": 1.5}],
        [{"kind": "500", "times": -1}],
        [{"kind": "500", "scope": "forever"}],
        [{"kind": "500", "colour": "red"}],
        [{"pattern": "(", "kind": "500"}],
        [{"mix": 0.2, "kinds": []}],
        [{"mix": 2}],
        [{"mix": 0.2, "kinds": ["nope"]}],
        ["500"],
        {"rules": [], "extra": 1},
    ],
)
def test_bad_configs_are_refused(bad):
    with pytest.raises((ValueError, re.error)):
        FaultPlan.from_config(bad)


def test_path_classes():
    table = {
        "/newsDetail_forward_1": "article",
        "/detail/33?x=1": "article",
        "/channel_119908": "listing",
        "/list_27234/": "listing",
        NODE_API: "api",
        "/robots.txt": "robots",
        "/": "other",
        "/newsDetail_forward_1x": "other",
    }
    assert {t: path_class(t) for t in table} == table
    assert set().union(*(k.targets for k in KINDS.values())) == ALL


def test_cli_builds_the_plan(tmp_path):
    f = tmp_path / "f.json"
    f.write_text(json.dumps([{"pattern": "forward", "kind": "500", "times": 1}]), encoding="utf-8")
    args = mock_main.build_parser().parse_args(
        ["--faults", str(f), "--fault-rate", "0.2", "--fault-seed", "3", "--max-delay", "4"]
    )
    plan = mock_main.build_plan(args)
    assert plan.seed == 3 and plan.max_delay == 4 and len(plan.entries) == 2
    assert plan.entries[1].mix == 0.2 and plan.entries[1].times == 2 and plan.entries[1].permanent == 0.25
    assert plan.decide("/newsDetail_forward_5").kind == "500"
    bad = tmp_path / "bad.json"
    bad.write_text('[{"kind": "explode"}]', encoding="utf-8")
    assert mock_main.main(["--faults", str(bad), "--port", "0"]) == 2
    assert mock_main.main(["--faults", str(tmp_path / "missing.json"), "--port", "0"]) == 2
