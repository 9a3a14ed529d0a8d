//! Recording and replay: a recorded run replays byte for byte, the same schedule gives the
//! same run, schedules survive JSON, and a replay notices when the scenario changed.

mod policy_support;

use aiosim::Level;
use aiosim_sim::policy::{
    ChoiceKind, Decision, PolicyKind, Schedule, decode_decisions, deviations, encode_decisions,
};
use policy_support::{LEVELS, example_graphs, graph, run, sleepers, text};

/// Scenarios with choices at every level: the sleepers and a few examples.
fn scenarios() -> Vec<(String, std::sync::Arc<aiosim_sim::graph::Graph>)> {
    let mut picked = vec![("sleepers".to_string(), sleepers(6))];
    picked.extend(example_graphs().into_iter().filter(|(name, _)| {
        [
            "equal_deadlines.json",
            "taskgroup_failures.json",
            "gather_basic.json",
            "wait_for_variants.json",
        ]
        .contains(&name.as_str())
    }));
    assert_eq!(picked.len(), 5);
    picked
}

#[test]
fn random_runs_replay_byte_for_byte() {
    for (name, graph) in scenarios() {
        for level in LEVELS {
            for seed in 0..50 {
                let schedule = Schedule::new(PolicyKind::Random, seed, level);
                let (original, log) = run(&graph, &schedule);
                let recorded = log.decisions();
                let (replayed, replay_log) = run(&graph, &schedule.replaying(recorded.clone()));
                assert_eq!(
                    text(&replayed),
                    text(&original),
                    "{name} seed {seed} {level:?}"
                );
                assert_eq!(
                    replay_log.decisions(),
                    recorded,
                    "replay records the same list"
                );
                assert_eq!(replay_log.divergence(), None);
            }
        }
    }
}

#[test]
fn every_seeded_policy_replays_with_injection() {
    for (name, graph) in scenarios() {
        for policy in [PolicyKind::Pct, PolicyKind::Pos, PolicyKind::Random] {
            for seed in 0..10 {
                let mut schedule = Schedule::new(policy, seed, Level::Timing);
                schedule.inject_cancels = 2;
                schedule.steps_hint = 30;
                let (original, log) = run(&graph, &schedule);
                let replay = schedule.replaying(log.decisions());
                let (replayed, replay_log) = run(&graph, &replay);
                assert_eq!(text(&replayed), text(&original), "{name} {policy:?} {seed}");
                assert_eq!(replay_log.decisions(), log.decisions());
            }
        }
    }
}

#[test]
fn the_same_schedule_gives_the_same_run() {
    let graph = sleepers(6);
    for policy in [PolicyKind::Random, PolicyKind::Pct, PolicyKind::Pos] {
        for level in LEVELS {
            let mut schedule = Schedule::new(policy, 1234, level);
            schedule.inject_cancels = 1;
            let (first, first_log) = run(&graph, &schedule);
            let (second, second_log) = run(&graph, &schedule);
            assert_eq!(text(&first), text(&second), "{policy:?} {level:?}");
            assert_eq!(first.trace.canonical_hash(), second.trace.canonical_hash());
            assert_eq!(first_log.decisions(), second_log.decisions());
        }
    }
}

#[test]
fn schedules_round_trip_through_json_and_still_replay() {
    let graph = sleepers(5);
    let mut schedule = Schedule::new(PolicyKind::Random, 99, Level::Timing);
    schedule.inject_cancels = 1;
    schedule.steps_hint = 12;
    let (original, log) = run(&graph, &schedule);
    let replay = schedule.replaying(log.decisions());
    let json = serde_json::to_string(&replay).unwrap();
    assert!(json.contains(r#""policy":"replay""#) && json.contains(r#""level":3"#));
    let back: Schedule = serde_json::from_str(&json).unwrap();
    assert_eq!(back, replay);
    let (replayed, _) = run(&graph, &back);
    assert_eq!(text(&replayed), text(&original));

    // The seeded policies' options are optional; unknown fields and bad levels are refused.
    let minimal: Schedule =
        serde_json::from_str(r#"{"policy":"pct","seed":3,"level":2,"decisions":""}"#).unwrap();
    assert_eq!(minimal.level, Level::Interleave);
    assert_eq!(
        (minimal.depth, minimal.inject_cancels, minimal.steps_hint),
        (3, 0, 100)
    );
    let refused = |json: &str| match serde_json::from_str::<Schedule>(json) {
        Ok(s) => panic!("{json} read as {s:?}"),
        Err(e) => e.to_string(),
    };
    assert!(refused(r#"{"policy":"pct","seed":3,"level":4,"decisions":""}"#).contains("level 4"));
    assert!(
        refused(r#"{"policy":"pct","seed":3,"level":2,"decisions":"","colour":1}"#)
            .contains("unknown field `colour`")
    );
}

#[test]
fn a_schedule_needs_its_policy_seed_level_and_decisions() {
    let full = serde_json::json!({"policy": "random", "seed": 3, "level": 2, "decisions": "p2=1"});
    for field in ["policy", "seed", "level", "decisions"] {
        let mut partial = full.clone();
        partial.as_object_mut().unwrap().remove(field);
        let e = serde_json::from_value::<Schedule>(partial).expect_err(field);
        assert!(
            e.to_string().contains(&format!("missing field `{field}`")),
            "{e}"
        );
    }
    let e = serde_json::from_str::<Schedule>("{}").expect_err("empty");
    assert!(e.to_string().contains("missing field"), "{e}");
}

#[test]
fn a_seed_beyond_64_bits_is_an_integer_out_of_range() {
    let e = serde_json::from_str::<Schedule>(
        r#"{"policy":"random","seed":18446744073709551616,"level":2,"decisions":""}"#,
    )
    .expect_err("2^64 is not a seed");
    let e = e.to_string();
    assert!(
        e.contains("integer `18446744073709551616` out of range, expected u64"),
        "{e}"
    );
    assert!(!e.contains("floating point"), "{e}");
    let e = serde_json::from_str::<Schedule>(
        r#"{"policy":"random","seed":1,"level":2,"depth":4294967296,"decisions":""}"#,
    )
    .expect_err("2^32 is not a depth");
    assert!(
        e.to_string().contains("integer `4294967296`, expected u32"),
        "{e}"
    );
    let e = serde_json::from_str::<Schedule>(
        r#"{"policy":"random","seed":-1,"level":2,"decisions":""}"#,
    )
    .expect_err("no negative seeds");
    assert!(e.to_string().contains("integer `-1`, expected u64"), "{e}");
    let e = serde_json::from_str::<Schedule>(
        r#"{"policy":"random","seed":1.5,"level":2,"decisions":""}"#,
    )
    .expect_err("no fractional seeds");
    assert!(
        e.to_string().contains("floating point `1.5`, expected u64"),
        "{e}"
    );
}

#[test]
fn the_compact_encoding_round_trips_and_refuses_nonsense() {
    let d = |kind, options, chosen| Decision {
        kind,
        options,
        chosen,
    };
    let list = vec![
        d(ChoiceKind::Inject, 2, 0),
        d(ChoiceKind::Inject, 2, 0),
        d(ChoiceKind::Inject, 2, 0),
        d(ChoiceKind::Pick, 3, 2),
        d(ChoiceKind::Set, 3, 1),
        d(ChoiceKind::Set, 2, 0),
        d(ChoiceKind::Due, 4, 3),
        d(ChoiceKind::Early, 2, 1),
        d(ChoiceKind::Pick, 3, 2),
        d(ChoiceKind::Pick, 3, 2),
    ];
    let text = encode_decisions(&list);
    assert_eq!(text, "i2*3 p3=2 s3=1 s2 d4=3 e2=1 p3=2*2");
    assert_eq!(decode_decisions(&text).unwrap(), list);
    assert_eq!(decode_decisions("").unwrap(), vec![]);
    assert_eq!(deviations(&list), 6);
    for bad in [
        "x3",
        "p",
        "p1",
        "p3=3",
        "p3=-1",
        "p3*0",
        "p3=1*",
        "p 3",
        "p3**2",
        "p99999999999",
    ] {
        assert!(decode_decisions(bad).is_err(), "{bad:?} is refused");
    }
    assert!(
        decode_decisions("p2*16777216 p2").is_err(),
        "a bounded length"
    );
}

#[test]
fn replay_against_a_changed_scenario_reports_the_divergence() {
    let schedule = Schedule::new(PolicyKind::Random, 5, Level::Interleave);
    let (_, log) = run(&sleepers(6), &schedule);
    let recorded = log.decisions();
    // The first choice is which of the six sleepers starts first.
    assert_eq!(recorded[0].kind, ChoiceKind::Pick);
    assert_eq!(recorded[0].options, 6);

    // With five sleepers the very first point has five options.
    let (report, replay_log) = run(&sleepers(5), &schedule.replaying(recorded.clone()));
    assert!(
        report.trace.finish().is_some(),
        "the run goes on with option 0"
    );
    let divergence = replay_log.divergence().expect("a divergence");
    assert_eq!(divergence.index, 0);
    assert_eq!(divergence.expected, recorded[0].point());
    let found = divergence.found.expect("a point was met");
    assert_eq!((found.kind, found.options), (ChoiceKind::Pick, 5));
    assert_eq!(
        divergence.to_string(),
        "decision 0: recorded p6, the run met p5"
    );
    assert_eq!(deviations(&replay_log.decisions()), 0, "option 0 after it");

    // A run that ends before the record does: the first unreached decision is named.
    let tiny = graph(
        r#"{"format": "aiosim-graph/1", "name": "tiny", "main": "main",
            "tasks": {"main": [{"sleep": 1}]}}"#,
    );
    let (_, short) = run(&tiny, &schedule.replaying(recorded.clone()));
    let divergence = short.divergence().expect("record not reached");
    assert_eq!((divergence.index, divergence.found), (0, None));
    assert!(divergence.to_string().ends_with("the run ended first"));

    // A prefix of a record is not a divergence: the rest is CPython's order.
    let (_, prefix) = run(&sleepers(6), &schedule.replaying(recorded[..3].to_vec()));
    assert_eq!(prefix.divergence(), None);
    assert_eq!(prefix.decisions()[..3], recorded[..3]);
}
