"""The drift monitors when a share is unknown on one side: a content type the baseline has no
article of, a run with no judged pages. With THEPAPER_ALARM_MIN_ARTICLES 0 every type is judged,
so the monitors meet such a side; they leave it out instead of failing on it."""

from __future__ import annotations

from dataclasses import replace

from crawler.drift import extraction_failure_rise, field_coverage_drop
from tests.test_drift_monitors import DEFAULT_THRESHOLDS, coverage, judge, record

ANY_COUNT = replace(DEFAULT_THRESHOLDS, min_articles=0)


def test_a_type_the_baseline_lacks_is_not_judged_against_nothing():
    run = coverage((40, record("news")), (10, record("video", author="")))
    base = coverage((40, record("news")))
    assert field_coverage_drop(run, base, ANY_COUNT) == []
    assert judge(run, base, ANY_COUNT).state == "ok"


def test_a_field_that_fell_is_still_found_beside_a_one_sided_type():
    run = coverage((40, record("news", author="")), (10, record("video")))
    base = coverage((40, record("news")))
    [finding] = field_coverage_drop(run, base, ANY_COUNT)
    assert (finding.content_type, finding.subject, finding.run_share, finding.baseline_share) == (
        "news",
        "author",
        0.0,
        1.0,
    )
    assert judge(run, base, ANY_COUNT).alarm


def test_failures_are_not_judged_without_judged_pages_on_both_sides():
    run = coverage((40, record("news")), failures={"unknown_layout": 5})
    none_judged = {"pages": 0, "failures": {}, "types": {}}
    assert extraction_failure_rise(run, none_judged, ANY_COUNT) == []
    assert extraction_failure_rise(none_judged, run, ANY_COUNT) == []
