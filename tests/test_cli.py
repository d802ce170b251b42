"""The posekit CLI on real inputs."""

import json
import subprocess
import sys

import numpy as np
import pytest

from posekit.cli import main, sample_clip


def read_video_frames(path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    return n


def test_run_on_a_real_video(shared_data, tmp_path):
    video = shared_data / "workouttracker" / "videos" / "squats" / "squat_11.mp4"
    rc = main(["run", str(video), "--out", str(tmp_path), "--max-frames", "25", "--quiet"])
    assert rc == 0
    lines = (tmp_path / "frames.jsonl").read_text().splitlines()
    assert len(lines) == 25
    first = json.loads(lines[0])
    assert first["timestamp_ms"] == 0 and len(first["keypoints"]) == 33 and len(first["keypoints"][0]) == 3
    assert first["shot"] == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["frames"] == 25 and summary["frames_with_pose"] >= 20 and summary["shots"] == 1
    assert summary["fps"] > 0 and "pose" in summary["timing_ms_per_frame"]
    assert read_video_frames(tmp_path / "annotated.mp4") == 25


def test_run_defaults_to_the_bundled_sample_clip(tmp_path):
    assert sample_clip().is_file()
    rc = main(["run", "--out", str(tmp_path), "--max-frames", "10", "--quiet"])
    assert rc == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["input"].endswith("sample.mp4") and summary["frames"] == 10


def test_run_on_an_image(shared_data, tmp_path):
    rc = main(["run", str(shared_data / "lspet" / "images" / "im05001.jpg"), "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    assert (tmp_path / "annotated.png").is_file()
    assert len((tmp_path / "frames.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize("content,what", [(None, "does not exist"), (b"not a video", "is not a readable video or image")])
def test_run_on_unreadable_input_fails_clearly(tmp_path, content, what):
    bad = tmp_path / "clip.mp4"
    if content is not None:
        bad.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "posekit", "run", str(bad), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"posekit: error: input '{bad}' {what}" in proc.stderr


def test_missing_camera_fails_clearly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "posekit", "run", "--camera", "7", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "posekit: error: camera 7 could not be opened (is a camera connected?)" in proc.stderr


def test_info_lists_bundled_models(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "pose_student_int8" in out and "int8" in out and "pck@0.2=" in out


def test_analyze_writes_a_warning_for_box_normalised_keypoints(tmp_path, capsys):
    from posekit.activity.inputs import minmax_per_frame
    from training.synth.dataset import make_sequence

    _, arr = make_sequence("squat", 104, seconds=4.0)
    np.save(tmp_path / "kps.npy", minmax_per_frame(arr["kps2d"]))
    assert main(["analyze", str(tmp_path / "kps.npy"), "--fps", "30", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["warnings"]) == 1 and "min-max normalised per frame (per axis)" in summary["warnings"][0]
    assert "warning: keypoints look min-max normalised" in capsys.readouterr().err
    np.save(tmp_path / "px.npy", arr["kps2d"])
    assert main(["analyze", str(tmp_path / "px.npy"), "--fps", "30", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "summary.json").read_text())["warnings"] == []


def test_analyze_takes_the_cuts_of_an_edited_video(tmp_path, capsys):
    """Standing, then a cut to someone lying on the floor (another camera): a fall without
    ``--cuts``. (A cut to someone in a plank read as one until the classifier could rule a fall
    out: it reads standing, then a plank.)"""
    from training.synth.dataset import make_sequence

    m, fall = make_sequence("fall", 201, seconds=8.0)
    a, b = make_sequence("standing", 11, seconds=6.0)[1]["noisy"], fall["noisy"][int(m.fall_impact) + 30:]
    np.save(tmp_path / "kps.npy", np.concatenate([a, b]))
    args = ["analyze", str(tmp_path / "kps.npy"), "--fps", "30", "--out", str(tmp_path)]
    assert main(args) == 0 and len(json.loads((tmp_path / "summary.json").read_text())["falls"]) == 1
    assert main(args + ["--cuts", str(len(a))]) == 0 and json.loads((tmp_path / "summary.json").read_text())["falls"] == []
    assert main(args + ["--cuts", "180,x"]) == 2
    assert "posekit: error: --cuts must be frame indices separated by commas (e.g. 48,87), got '180,x'" in capsys.readouterr().err
    assert main(args + ["--cuts", "250,200"]) == 2
    last = len(a) + len(b) - 1
    assert f"posekit: error: cuts must be strictly increasing frame indices in [1, {last}]" in capsys.readouterr().err


def test_analyze_rereads_a_run_with_its_frame_rate_and_cuts(shared_data, tmp_path, capsys):
    """`posekit analyze frames.jsonl` re-analyses a `posekit run` without re-running the pose
    network: the frame rate comes from the timestamps and the cuts from the shots. The dips
    compilation's first 10 s hold 6 shots; the run's own (live, flushed) reading and the re-read agree."""
    video = shared_data / "workouttracker" / "videos" / "dips" / "videoplayback.mp4"
    assert main(["run", str(video), "--out", str(tmp_path / "run"), "--max-frames", "300", "--quiet"]) == 0
    ran = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert ran["shots"] == 6  # cuts at frames 48, 87, 159, 206 and 286
    assert main(["analyze", str(tmp_path / "run" / "frames.jsonl"), "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert again["fps"] == pytest.approx(30.0, abs=0.05) and again["frames"] == 300
    # Dips have no class of their own: how many of these shots' dips are counted moves with the
    # classifier (3 before generators v3, 1 since); that the two readings agree does not.
    assert again["reps_total"] == ran["reps_total"] >= 1 and again["falls"] == ran["falls"] == []
    # Without its frame rate a bare array is refused; a broken record names its line.
    np.save(tmp_path / "k.npy", np.zeros((5, 33, 3)))
    assert main(["analyze", str(tmp_path / "k.npy")]) == 2
    assert "posekit: error: --fps is required for .npy/.npz/.json/.csv keypoints without timestamps" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"timestamp_ms": 0, "keypoints": null, "shot": 0}\n{"timestamp_ms": 33, "keypoints": [[1, 2]]}\n')
    assert main(["analyze", str(bad)]) == 2
    assert f"posekit: error: frames file '{bad}' line 2 is not a posekit frame record" in capsys.readouterr().err
    bad.write_text('{"timestamp_ms": 33, "keypoints": null}\n{"timestamp_ms": 33, "keypoints": null}\n')
    assert main(["analyze", str(bad)]) == 2  # two runs' frames pasted together, say
    assert "line 2 is not a posekit frame record (timestamp_ms, keypoints [33][3] or null, shot): timestamp_ms 33 " \
           "must be finite and later than the previous frame's" in capsys.readouterr().err


def _write_variable_rate_mp4(path, frames, durations_ms):
    """An MP4 whose frames last ``durations_ms`` each, as phones record at a variable frame rate:
    OpenCV writes it at the mean rate, then the track's sample durations (its 'stts' box, inside
    moov/trak/mdia/minf/stbl, which OpenCV writes after the media data) are rewritten, one entry
    per frame, and the boxes around it grown by as much."""
    import struct

    import cv2

    total_s = sum(durations_ms) / 1000.0
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), len(frames) / total_s, (w, h))
    for f in frames:
        out.write(np.ascontiguousarray(f[:, :, ::-1]))
    out.release()
    b = bytearray(path.read_bytes())

    def find(off, end, chain):
        while off < end:
            size, kind = struct.unpack(">I4s", b[off:off + 8])
            if kind == b"mdhd":
                find.timescale = struct.unpack(">I", b[off + 20:off + 24])[0]
            if kind == b"stts":
                return chain, off, size
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                hit = find(off + 8, off + size, chain + [off])
                if hit:
                    return hit
            off += size

    chain, off, size = find(0, len(b), [])
    ticks = [int(round(d * find.timescale / 1000.0)) for d in durations_ms]
    body = struct.pack(">II", 0, len(ticks)) + b"".join(struct.pack(">II", 1, t) for t in ticks)
    box = struct.pack(">I4s", 8 + len(body), b"stts") + body
    b[off:off + size] = box
    for c in chain:
        b[c:c + 4] = struct.pack(">I", struct.unpack(">I", b[c:c + 4])[0] + len(box) - size)
    path.write_bytes(bytes(b))


def test_a_variable_frame_rate_video_is_timed_by_its_own_clock(tmp_path):
    """A phone's video whose frame rate halves when the light drops: the sample clip with every
    frame for its first 7 s and every second frame after (its fall among them). `posekit run`
    stamps each frame with the file's own presentation time, and the fall is found at its
    labelled time; `posekit analyze` of that run's frames.jsonl reads the same."""
    from pathlib import Path

    from posekit.video import FrameSource

    with FrameSource(sample_clip()) as src:
        clip = [f.rgb.copy() for f in src]
    truth = json.loads(Path(sample_clip()).with_suffix(".json").read_text())
    keep = list(range(210)) + list(range(210, len(clip), 2))
    video = tmp_path / "vfr.mp4"
    _write_variable_rate_mp4(video, [clip[i] for i in keep], [1000 / 30] * 210 + [2000 / 30] * (len(keep) - 210))
    with FrameSource(video) as src:
        stamps = [f.timestamp_ms for f in src]
    np.testing.assert_allclose(stamps, np.asarray(keep) * 1000 / 30, atol=1.0)
    assert main(["run", str(video), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    ran = json.loads((tmp_path / "run" / "summary.json").read_text())
    onset = truth["fall_onset"] / truth["fps"]
    assert len(ran["falls"]) == 1 and abs(ran["falls"][0]["onset_s"] - onset) <= 0.5
    assert main(["analyze", str(tmp_path / "run" / "frames.jsonl"), "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert len(again["falls"]) == 1 and abs(again["falls"][0]["onset_s"] - onset) <= 0.5


def test_run_without_video_times_each_stage(tmp_path):
    from posekit.cli import main

    assert main(["run", "--out", str(tmp_path), "--quiet", "--no-video", "--max-frames", "30"]) == 0
    assert not (tmp_path / "annotated.mp4").exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["timing_ms_per_frame"]) == {"decode", "pose", "activity", "write"}
    assert summary["frames"] == 30 and all(v >= 0 for v in summary["timing_ms_per_frame"].values())
    assert main(["run", "--out", str(tmp_path / "v"), "--quiet", "--max-frames", "5"]) == 0
    timing = json.loads((tmp_path / "v" / "summary.json").read_text())["timing_ms_per_frame"]
    assert {"draw", "encode"} <= set(timing) and (tmp_path / "v" / "annotated.mp4").stat().st_size > 0
