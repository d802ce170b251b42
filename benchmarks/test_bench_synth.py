"""Synthetic motion generation speed (target: 1,000 sequences of 10 s in minutes on 2 cores)."""

from training.synth.dataset import make_sequence

KINDS = ["squat", "push_up", "walking", "fall", "standing", "jumping_jack"]


def test_generate_one_10s_sequence(benchmark):
    state = {"i": 0}

    def one():
        state["i"] += 1
        return make_sequence(KINDS[state["i"] % len(KINDS)], state["i"], seconds=10.0)

    m, arr = benchmark.pedantic(one, rounds=6, iterations=1)
    assert arr["kps2d"].shape == (300, 33, 3)
