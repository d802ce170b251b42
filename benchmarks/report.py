"""Write benchmarks/RESULTS.md from one run's measurements (never edit RESULTS.md by hand).

    make bench        # runs the benchmarks and evaluations, then this script

Inputs (all produced in the same ``make bench`` run, under benchmarks/out/):
    bench.json            pytest-benchmark JSON (benchmarks/test_bench_*.py)
    pose_eval.json        python -m training.eval_pose (teacher + bundled students, held-back LSPET)
    activity_eval.json    python -m training.eval_activity
    capture_eval.json     python -m training.eval_activity --capture
    parity_pose_student.json  python -m export.pose (copied from the export run)
    parity_activity_*.json    python -m export.activity (copied from the export run)
    activity_train_metrics.json  each exported architecture's metrics.json entry (Penn Action test split), by export.activity
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # training/ and export/ from the checkout
OUT = HERE / "out"


#: CPU features that decide LiteRT's int8 speed on x86 (XNNPACK's int8 kernels use VNNI dot
#: products where present): the same models' int8 / float ratio differs between machines without them.
SIMD_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni")


def machine() -> str:
    cpu, flags = "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown CPU":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = "/".join(f for f in SIMD_FLAGS if f in flags) or "none of " + "/".join(SIMD_FLAGS)
    import numpy

    try:
        import ai_edge_litert

        litert = getattr(ai_edge_litert, "__version__", "installed")
    except ImportError:
        litert = "absent"
    return (f"{cpu} ({simd}), {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {sys.version.split()[0]}, "
            f"numpy {numpy.__version__}, ai-edge-litert {litert}")


def load(name: str) -> dict | None:
    p = OUT / name
    return json.loads(p.read_text()) if p.exists() else None


def _git(*args: str) -> str:
    """git's output in the checkout, or "" where git is missing."""
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE.parent).stdout
    except OSError:
        return ""


def last_changed(*paths: str) -> str:
    """Short hash of the last commit that changed any of ``paths`` (package-relative)."""
    return _git("log", "-1", "--format=%h", "--", *paths).strip() or "unknown"


def last_results_with(marker: str) -> str | None:
    """Short hash of the latest committed RESULTS.md with a line starting ``marker``: where the
    figures that a run without the export outputs leaves out were last written."""
    for h in _git("log", "--format=%h", "--", "benchmarks/RESULTS.md").split():
        if f"\n{marker}" in _git("show", f"{h}:benchmarks/RESULTS.md"):
            return h
    return None


def not_in_run(marker: str, what: str, models: tuple[str, ...]) -> list[str]:
    """The note that stands in for a section whose inputs this run lacks, pointing to the
    RESULTS.md that last had it and saying whether the models changed since."""
    changed = last_changed(*(f"posekit/models/{m}.tflite" for m in models))
    had = last_results_with(marker)
    if had is None:
        where = "no committed RESULTS.md has these figures."
    elif subprocess.run(["git", "merge-base", "--is-ancestor", changed, had], cwd=HERE.parent).returncode == 0:
        where = f"RESULTS.md at `{had}` has their figures."
    else:
        where = f"the last RESULTS.md with these figures (at `{had}`) predates that change."
    return [f"Not in this run: {what}, whose outputs were not in `benchmarks/out`. The models were last changed "
            f"at `{changed}`; {where}", ""]


def manifest_classifier_table() -> list[str]:
    """The shipped classifiers' figures as their manifest records them (measured by
    ``export.activity`` when each was exported), for a run without the export outputs."""
    models = json.loads((HERE.parent / "posekit" / "models" / "manifest.json").read_text())["models"]
    rows = ["| model | params | Penn test acc (Keras) | Penn test acc (shipped build) | synthetic window acc | "
            "size kB | trained at commit |", "|---|---|---|---|---|---|---|"]
    for name, m in models.items():
        if m.get("task") != "activity":
            continue
        met = m.get("metrics", {})
        built = met.get(f"penn_test_accuracy_{m['quantisation']}", float("nan"))
        rows.append(f"| {name} | {m.get('params', 0):,} | {met.get('penn_test_accuracy_keras', float('nan')):.4f} | "
                    f"{built:.4f} | {met.get('synthetic_window_accuracy_keras', float('nan')):.4f} | "
                    f"{m['size_bytes'] / 1024:.0f} | `{m.get('training', {}).get('commit', '?')}` |")
    return rows


#: MediaPipe's published CPU speed of BlazePose GHUM full on a Pixel 3 (TFLite with XNNPACK):
#: ~18 FPS, from the BlazePose GHUM model card,
#: https://developers.google.cn/static/ml-kit/images/vision/pose-detection/pose_model_card.pdf
PIXEL3_FULL_FPS = 18.0


def phone_estimate(ev: dict) -> list[str]:
    """Phone FPS of each model, estimated as MediaPipe full's published Pixel 3 CPU rate scaled by
    the invoke latency ratio measured here (one thread, same run). An estimate, not a measurement:
    ARM kernels do not scale like x86's (int8 especially)."""
    ms = ev.get("invoke_ms", {})
    full = ms.get("mediapipe_full")
    if not full:
        return []
    rows = ["### Phone estimate", "", f"MediaPipe full runs ~{PIXEL3_FULL_FPS:.0f} FPS on a Pixel 3's CPU (XNNPACK) by "
            "its model card ([BlazePose GHUM model card](https://developers.google.cn/static/ml-kit/images/vision/"
            "pose-detection/pose_model_card.pdf)); scaled by each model's invoke time relative to full's here:", "",
            "| model | invoke ms here | / full | estimated Pixel 3 CPU FPS (network only) |", "|---|---|---|---|"]
    for name, t in ms.items():
        rows.append(f"| {name} | {t:.1f} | {t / full:.2f} | ~{PIXEL3_FULL_FPS * full / t:.0f} |")
    return rows + ["", "An estimate from x86 ratios, not a phone measurement: ARM's int8 and float16 kernels differ.", ""]


def bench_table(b: dict) -> list[str]:
    rows = ["| benchmark | median ms | mean ms | rounds |", "|---|---|---|---|"]
    by = {}
    for x in b["benchmarks"]:
        s = x["stats"]
        by[x["name"]] = s["median"] * 1e3
        rows.append(f"| {x['name']} | {s['median'] * 1e3:.3f} | {s['mean'] * 1e3:.3f} | {s['rounds']} |")
    t = by.get("test_invoke_latency_one_thread[teacher]")
    st = by.get("test_invoke_latency_one_thread[student_int8]")
    if t and st:
        f16 = by.get("test_invoke_latency_one_thread[student_float16]")
        rows += ["", f"**Student int8 / teacher invoke latency (one thread, same run): {st / t:.3f}** "
                     f"({st:.2f} ms vs {t:.2f} ms; target <= 0.25"
                     + (f"; float16, the default: {f16 / t:.3f}, {f16:.2f} ms" if f16 else "") + ")."]
        inter = {x["name"].split("[")[1].rstrip("]"): x["extra_info"] for x in b["benchmarks"]
                 if x["name"].startswith("test_student_vs_teacher_invoke_ratio")}
        if inter:
            met = inter.get("student_int8", {}).get("meets_target")
            rows.append("**The same ratio interleaved (medians of 3 alternations): "
                        + ", ".join(f"{n} {e.get('over_teacher')}" for n, e in inter.items()) + "** "
                        f"(the issue's target for int8 is <= 0.25: {'met' if met else 'not met'} on this machine; "
                        f"the benchmark asserts <= {inter.get('student_int8', {}).get('guard', '?')} as a regression guard).")
    for layout, what in (("contiguous", "a contiguous RGB array"),
                         ("video_view", "the RGB view of a decoded BGR frame that FrameSource and the app pass"),
                         ("low_res", "the bundled 400x300 sample clip (bilinear crop: the ROI is under 2x the crop)")):
        name = f"test_runtime_overhead_excluding_invoke[{layout}]"
        if name in by:
            mn = next(x["stats"]["min"] for x in b["benchmarks"] if x["name"] == name) * 1e3
            rows.append(f"**Per-frame runtime overhead excluding invoke, {what}: median {by[name]:.3f} ms, min {mn:.3f} ms** "
                        "(target < 0.5 ms; this shared 2-core machine moves the median by 2x between runs).")
    app = next((x for x in b["benchmarks"] if x["name"] == "test_app_frame_loop_fps"), None)
    if app is not None:
        rows.append(f"**Demo app frame loop (offscreen, {app['extra_info'].get('model', 'default model')} + int8 activity classifier, "
                    f"sample clip): median {app['extra_info']['app_loop_fps_median']} FPS** "
                    "(target >= 30).")
    two = {n.split("[")[1].rstrip("]"): v for n, v in by.items() if n.startswith("test_invoke_latency_two_threads")}
    if two:
        rows.append("**Two threads, same run: " + ", ".join(f"{k} {v:.2f} ms" for k, v in two.items())
                    + (f" (student int8 / teacher {two['student_int8'] / two['teacher']:.3f})" if "teacher" in two and "student_int8" in two else "")
                    + ".**")
    extra = {x["name"]: x.get("extra_info", {}) for x in b["benchmarks"]}
    for name, v in sorted(by.items()):
        if name.startswith("test_classifier_window_latency"):
            rows.append(f"**Activity classifier {name.split('[')[1].rstrip(']')}: {v:.3f} ms per window** "
                        "(target <= 0.3 ms at 1 thread; one window per 8 model frames = 16 video frames at 30 FPS).")
        if name.startswith("test_classifier_window_with_mirror"):
            rows.append(f"**SDK window classification {name.split('[')[1].rstrip(']')} (window + mirror image, two invokes, "
                        f"1 thread): {v:.3f} ms per window** (target <= 0.3 ms).")
    if "test_activity_layer_per_frame" in by:
        rows.append(f"**Whole activity layer per frame (ActivityTracker.update, bundled classifier, steady state): "
                    f"median {by['test_activity_layer_per_frame']:.3f} ms, mean "
                    f"{next(x['stats']['mean'] for x in b['benchmarks'] if x['name'] == 'test_activity_layer_per_frame') * 1e3:.3f} ms** "
                    "(target <= 0.5 ms; the mean includes the re-analysis every 20 frames).")
    lin = extra.get("test_time_is_linear_in_video_length", {}).get("ms_per_frame")
    if lin:
        rows.append("**Time vs video length (Session + activity, sample clip looped): "
                    + ", ".join(f"{k} frames {v:.2f} ms/frame" for k, v in lin.items()) + "** (flat = linear total time).")
    pair = extra.get("test_two_threads_each_with_its_own_tracker", {})
    if pair:
        rows.append(f"**Two threads, a PoseTracker each, 720p: {pair['fps_two_threads']} FPS together against "
                    f"{pair['fps_one_thread']} on one thread ({pair['two_thread_ratio']}x).**")
    run = extra.get("test_run_against_session_on_720p", {})
    if run:
        ok = lambda k: "met" if run.get(f"{k}_meets_target") else "**not met**"
        rows.append(f"**720p WorkoutTracker clip, wall clock: Session {run['session_fps']} FPS (target 250: {ok('session')}), "
                    f"`posekit run --no-video` {run['run_no_video_fps']} (target 150: {ok('run_no_video')}), "
                    f"`posekit run` with the annotated video {run['run_with_video_fps']} (target 100: {ok('run_with_video')}).** "
                    "Busy ms per frame by stage with the video (decode, draw and encode run in their own threads): "
                    + ", ".join(f"{k} {v}" for k, v in run.get("stages_ms_with_video", {}).items()) + ".")
    rss = extra.get("test_peak_rss_of_a_long_run", {})
    if rss:
        growth = f"; RSS grew {rss['rss_growth_mb']} MB from frame 1,000 to the last" if "rss_growth_mb" in rss else ""
        rows.append(f"**Peak RSS, fresh process, Session + activity over {rss['frames']} frames: {rss['maxrss_mb']:.0f} MB"
                    f"{growth}** (target <= 150 MB).")
    imp = extra.get("test_import_time", {})
    if imp:
        rows.append(f"**`import posekit`: {imp['import_posekit_s']:.3f} s** (numpy alone {imp['import_numpy_s']:.3f} s; target <= 0.3 s).")
    size = extra.get("test_installed_runtime_size", {})
    if size:
        rows.append(f"**Installed runtime package: {size['total_kb']} kB** (models {size['models_kb']} kB, sample clip {size['sample_kb']} kB).")
    g = by.get("test_generate_one_10s_sequence")
    if g is not None:
        rows.append(f"**Synthetic generation: {g:.0f} ms per 10 s sequence -> 1,000 sequences ~ {g * 1000 / 2 / 60e3:.1f} min on 2 cores.**")
    return rows


def pck_plot(ev: dict, png: Path) -> bool:
    plt = _plt()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, m in ev["models"].items():
        th = [float(k) for k in m["curve"]]
        ax.plot(th, list(m["curve"].values()), marker="o", label=name)
    ax.set_xlabel("threshold (x torso diameter)"); ax.set_ylabel("PCK"); ax.grid(alpha=0.3); ax.legend()
    ax.set_title("PCK vs threshold, held-back LSPET, human labels")
    fig.tight_layout(); fig.savefig(png, dpi=100); plt.close(fig)
    return True


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def confusion_plot(pt: dict, png: Path, title: str) -> bool:
    plt = _plt()
    if plt is None:
        return False
    import numpy as np

    cm = np.array(pt["confusion"], float)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(pt["classes"])), pt["classes"], rotation=45, ha="right")
    ax.set_yticks(range(len(pt["classes"])), pt["classes"])
    for i in range(len(cm)):
        for j in range(len(cm)):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xlabel("predicted"); ax.set_ylabel("true")
    ax.set_title(f"Penn Action test, {title}: acc {pt['accuracy']:.3f}")
    fig.tight_layout(); fig.savefig(png, dpi=100); plt.close(fig)
    return True


def rep_scatter(w: dict, png: Path) -> bool:
    plt = _plt()
    if plt is None:
        return False
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for cls in sorted({p["class"] for p in w["per_clip"]}):
        pts = [p for p in w["per_clip"] if p["class"] == cls]
        ax.scatter([p["true"] for p in pts], [p["pred"] for p in pts], label=cls, alpha=0.7)
    m = max(max(p["true"] for p in w["per_clip"]), max(p["pred"] for p in w["per_clip"])) + 1
    ax.plot([0, m], [0, m], "k--", lw=1); ax.set_xlabel("true reps (markers)"); ax.set_ylabel("posekit reps")
    ax.set_title(f"WorkoutTracker: MAE {w['mae']:.2f}, OBO {w['obo']:.2f}"); ax.legend(fontsize=7)
    fig.tight_layout(); fig.savefig(png, dpi=100); plt.close(fig)
    return True


def fall_timeline(u: dict, png: Path) -> bool:
    plt = _plt()
    if plt is None:
        return False
    tl = u["timeline"]
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(tl["t"], tl["tilt"], label="torso tilt (deg)")
    ax2 = ax.twinx()
    ax2.plot(tl["t"], tl["hip_y"], color="tab:orange", label="hip height (torso lengths, down +)")
    if tl.get("fall_prob"):
        ax2.plot(tl["win_t"], tl["fall_prob"], color="tab:red", label="classifier P(fall)")
    ax.axvline(u["labelled_onset_s"], color="k", ls="--", label="labelled onset")
    for e in u["events"]:
        ax.axvspan(e["onset_s"], e["impact_s"], color="tab:red", alpha=0.2)
    ax.set_xlabel("s"); ax.set_title("URFD fall-01 from pixels: cues, events (shaded), labelled onset")
    fig.legend(fontsize=7, loc="upper left"); fig.tight_layout(); fig.savefig(png, dpi=100); plt.close(fig)
    return True


def main() -> None:
    lines = ["# posekit results", "", f"Generated by `make bench` (benchmarks/report.py) on: {machine()}.", ""]
    commit = _git("rev-parse", "--short", "HEAD").strip() or "unknown"
    if commit != "unknown":
        lines.append(f"Commit: `{commit}`.\n")
    b = load("bench.json")
    ci = (b or {}).get("commit_info", {})
    if ci.get("id") and commit != "unknown" and not ci["id"].startswith(commit):
        lines.append(f"The latency benchmarks ran at `{ci['id'][:7]}`{' with uncommitted changes' if ci.get('dirty') else ''} "
                     f"({b.get('datetime', '?')[:16]} UTC); the evaluations after it.\n")
    if b:
        lines += ["## Latency (pytest-benchmark, LiteRT, one thread)", "", *bench_table(b), ""]
    ev = load("pose_eval.json")
    if ev and "sets" in ev:
        from training.eval_pose import curves_plot, sets_markdown

        lines += ["## Pose accuracy, per set", "", "Command: `python -m training.eval_pose --teacher --model ...` "
                  "(every model on the same images and starts, one run; MediaPipe lite and full as rows, heavy too "
                  "where humans labelled the set and as the reference where heavy labelled it).", "", sets_markdown(ev)]
        curves_plot(ev, HERE / "pck_curve.png")
        lines += ["![PCK curves per set](pck_curve.png)", ""]
        lines += phone_estimate(ev)
    elif ev:
        from training.eval_pose import markdown

        lines += ["## Pose accuracy", "", "Command: `python -m training.eval_pose --teacher --model ...` (same images, "
                  "same procedure for every model: start from the box around the human-labelled joints, refine the crop "
                  "from the model's own landmarks).", "", markdown(ev)]
        if pck_plot(ev, HERE / "pck_curve.png"):
            lines += ["![PCK curve](pck_curve.png)", ""]
    arm = load("arm64.json")
    if arm:
        from tflite_compat import markdown as amd

        lines += ["## The models on aarch64", "",
                  "Command: `make arm64-check` (LiteRT's aarch64 wheel in a Debian arm64 root under qemu-user, a "
                  "Cortex-A76; the runtime's tests run there too), the same real inputs as on this machine.", "",
                  amd(arm), ""]
    compat = load("tflite28.json")
    if compat:
        from tflite_compat import markdown as cmd

        lines += ["## The models under python-for-android's interpreter", "",
                  "Command: `make tflite28-check` (tflite-runtime 2.8.0 on Python 3.9 against LiteRT, the same real "
                  "inputs: tracking crops, detector frames and activity windows of the sample clip).", "", cmd(compat), ""]
    par = load("parity_pose_student.json")
    lines += ["## Export parity (pose student)", "", "Command: `python -m export.pose --run RUN --report benchmarks/out`.", ""]
    if par:
        from export.parity import markdown as pmd

        lines += [pmd(par), ""]
    else:
        lines += not_in_run("### pose_student (", "`python -m export.pose` needs the training run",
                            ("pose_student_float16", "pose_student_int8"))
    cmp = load("session_vs_mp.json")
    if cmp:
        m = cmp["posekit_ms"]
        lines += ["## posekit.Session vs MediaPipe Tasks PoseLandmarker (same video, one run)", "",
                  f"Video: `{Path(cmp['video']).name}`, {cmp['frames']} frames; MediaPipe {cmp['mediapipe_version']} "
                  "(`make mpref`, its own environment), posekit default pose model + activity layer.", "",
                  "| pipeline | ms / frame (median) | FPS | pose stage ms | activity stage ms | frames with pose |",
                  "|---|---|---|---|---|---|",
                  f"| posekit Session | {m['total']:.2f} | {cmp['posekit_fps']:.0f} | {m['pose']:.2f} | {m['activity']:.3f} | "
                  f"{cmp['frames_with_pose']['posekit']} |",
                  f"| MediaPipe PoseLandmarker | {cmp['mediapipe_ms']:.2f} | {cmp['mediapipe_fps']:.0f} | - | - | "
                  f"{cmp['frames_with_pose']['mediapipe']} |", "",
                  f"posekit is **{cmp['speedup']:.1f}x** faster per frame; its limb keypoints agree with MediaPipe's "
                  f"within 0.2 torso diameters on **{cmp['pck0.2_vs_mediapipe']:.3f}** of limb joints.", ""]
    tm = load("activity_train_metrics.json")
    if tm:
        lines += ["## Activity classifiers (Penn Action official test split + held-out synthetic)", "",
                  "Command: `make train-activity` then `make export-activity` (the shipped LSTM is the Penn + "
                  "synthetic model fine-tuned with MD4FD fall windows). Penn Action accuracy is per clip (mean of its windows' "
                  "probabilities) over its 6 exercises + other (every non-exercise Penn class).", "",
                  "| model | params | Penn test acc (Keras) | Penn test acc (int8) | synthetic window acc | int8 ms/window @1 thr | @2 thr | int8 size kB |",
                  "|---|---|---|---|---|---|---|---|"]
        for arch in ("motionbert", "lstm"):
            m = tm.get(arch)
            par = load(f"parity_activity_{arch}.json")
            if not m:
                continue
            q = (par or {}).get("formats", {}).get("int8", {})
            lat = q.get("latency_ms", {})
            lines.append(f"| {arch} | {m['params']:,} | {m['penn_test']['accuracy']:.3f} | "
                         f"{q.get('metrics', {}).get('penn_accuracy', float('nan')):.3f} | {m['synthetic']['accuracy']:.3f} | "
                         f"{lat.get('1', float('nan')):.3f} | {lat.get('2', float('nan')):.3f} | {q.get('size_bytes', 0) / 1024:.0f} |")
        runs = ", ".join(f"{a} from `{tm[a]['run']}`" for a in ("motionbert", "lstm") if a in tm and "run" in tm[a])
        missing = [a for a in ("motionbert", "lstm") if a not in tm]
        lines += ["", "Shipped: `activity_lstm_int8` (default) and `activity_motionbert_float16` (its int8 build is "
                  "slower on x86 LiteRT and less accurate; see its parity table)."
                  + (f" Training runs: {runs}." if runs else "")
                  + (f" Not exported in this run: {', '.join(missing)} (its figures are in the RESULTS.md of the bench "
                     "that followed its last export)." if missing else ""), ""]
        for arch in ("motionbert", "lstm"):
            if arch in tm and confusion_plot(tm[arch]["penn_test"], HERE / f"confusion_{arch}.png", arch):
                lines += [f"![Penn Action confusion, {arch}](confusion_{arch}.png)", ""]
        for arch in ("motionbert", "lstm"):
            par = load(f"parity_activity_{arch}.json")
            if par:
                from export.parity import markdown as pmd

                lines += [pmd(par), ""]
    else:
        lines += ["## Activity classifiers (Penn Action official test split + held-out synthetic)", "",
                  "As recorded in `posekit/models/manifest.json` by `make export-activity` when each model was "
                  "exported (per clip over Penn Action's 6 exercises + other); this run's latency is in the table "
                  "above and its Penn Action reading through the SDK below.", "", *manifest_classifier_table(), ""]
        lines += not_in_run("### activity_", "the training curves, confusion matrices and export parity "
                            "come from `make train-activity` then `make export-activity`",
                            ("activity_lstm_int8", "activity_motionbert_float16"))
    act = load("activity_eval.json")
    if act:
        cross = any(r.get("model") not in (None, "bundled") for r in act["fall_windows"].values())
        lines += ["## Activity", "", "Command: `python -m training.eval_activity --fall-folds RUNS` (`make bench`).", "",
                  ("Falls, MD4FD windows, cross-dataset: each set is analysed (classifier + motion rules, default "
                   "sensitivity) with the classifier fold fine-tuned on the *other* set only "
                   "(`falls_without_<set>`, `make train-activity`); the shipped classifier was fine-tuned on both "
                   "and is not evaluated here." if cross else
                   "Falls, MD4FD windows, **in-sample**: the fold classifiers (`falls_without_<set>`, `make "
                   "train-activity`) were not in this machine's runs directory, so the bundled classifier, which "
                   "was fine-tuned on both sets, analysed them; these figures are not the cross-dataset ones."), "",
                  "| fall windows (MD4FD) | windows | falls | recall | specificity | classifier |", "|---|---|---|---|---|---|"]
        for n, r in act["fall_windows"].items():
            lines.append(f"| {n} | {r['windows']} | {r['falls']} | {r['recall']:.3f} | {r['specificity']:.3f} | "
                         f"{r.get('model') or 'bundled'} |")
        if all("fall_runs" in r for r in act["fall_windows"].values()):
            lines += ["", "The same analyses counted per run of windows (MD4FD cut each recording at a 0.5 s stride, so "
                          "a window that begins where the previous one did plus 15 frames continues it; the target asks "
                          "for windows): " + "; ".join(
                              f"{n}: fall runs found in at least one window {r['fall_runs_found']} of {r['fall_runs']}, "
                              f"daily-activity runs with an alarm {r['adl_runs_alarming']} of {r['adl_runs']}"
                              for n, r in act["fall_windows"].items()) + "."]
        if "penn_sdk" in act:
            lines += ["", "Penn Action official test split through the SDK's `ActivityClassifier` (shipped .tflite; clip = "
                      "mean of its windows' probabilities), each window alone and averaged with its mirror image "
                      "(the default, `mirror=True`):", "", "| model | plain | mirror-averaged |", "|---|---|---|"]
            lines += [f"| {n} | {v['plain']:.3f} | {v['mirror']:.3f} |" for n, v in act["penn_sdk"].items()]
        if "per_frame_exports" in act:
            pf = act["per_frame_exports"]
            what = {"minmax": "min-max normalised per frame and per axis", "centred": "centred per frame on the mid-hip"}
            for k, text in what.items():
                fw = pf.get(f"fall_windows_{k}")
                if fw is None:
                    continue
                lines += ["", f"Input {text}, as keypoint exports in the wild often are (`analyze_keypoints` warns): "
                              f"Penn Action test accuracy (shipped classifier, mirror-averaged) {pf['penn'][k]:.3f} against "
                              f"{pf['penn']['as_given']:.3f} as given; fall windows, same folds: "
                          + ", ".join(f"{n} recall {v['recall']:.2f} / specificity {v['specificity']:.2f}" for n, v in fw.items())
                          + "."]
        if "fall_folds_classifier_alone" in act:
            lines += ["", "The folds' classifier alone on its held-out set (a window scores its highest P(fall)): " + "; ".join(
                f"{n}: ROC AUC {v['auc']:.3f}, recall {v['recall_at_0.5']:.2f} / specificity {v['specificity_at_0.5']:.2f} "
                f"at P >= 0.5 (fold's Penn test accuracy {v['penn_test_accuracy']:.3f})"
                for n, v in act["fall_folds_classifier_alone"].items()) + "."]
        if "fall_windows_sensitivity" in act:
            lines += ["", "Sensitivity sweep (`FallOptions(sensitivity=...)`, default 0.5; recall / specificity):", "",
                      "| sensitivity | " + " | ".join(act["fall_windows"]) + " |", "|---|" + "---|" * len(act["fall_windows"])]
            for sens, r in act["fall_windows_sensitivity"].items():
                lines.append(f"| {sens} | " + " | ".join(f"{v['recall']:.2f} / {v['specificity']:.2f}" for v in r.values()) + " |")
        if "fall_windows_rules_only" in act:
            ro = act["fall_windows_rules_only"]
            lines += ["", "Motion rules alone (no classifier): " + ", ".join(
                f"{n} recall {v['recall']:.2f} / specificity {v['specificity']:.2f}" for n, v in ro.items()) + "."]
        if "synthetic" in act:
            sy = act["synthetic"]
            lines += ["", f"Synthetic sequences with pose-model-like noise ({sy['n_per_kind']} per kind, seeds apart from the tests): "
                          f"fall recall {sy['fall_recall']:.2f}; false-alarm rate "
                          + ", ".join(f"{k} {v:.2f}" for k, v in sy["false_alarm_rate"].items())
                          + "; rep-count MAE " + ", ".join(f"{k} {v:.3f}" for k, v in sy["rep_mae"].items()) + "."
                          + ("" if "reps_when_not_exercising" not in sy else
                             " Reps counted per 10 s sequence of activity that is not exercise (0 is right; picking "
                             "things up again and again is repeated movement, 'other' is anything): "
                             + ", ".join(f"{k} {v:.2f}" for k, v in sy["reps_when_not_exercising"].items()) + ".")]
        if "circuits" in act:
            ci = act["circuits"]
            lines += ["", f"Synthetic circuits, one exercise straight after another ({ci['circuits']} circuits of 2-3 "
                          f"exercises, {ci['seconds_per_part']:.0f} s each, one camera view per circuit, seeds apart from "
                          f"the tests; `eval_circuits`): rep-count MAE of the total **{ci['mae']:.3f}** offline, "
                          f"{ci['live_mae']:.3f} live (`ActivityTracker`, flushed), against {ci['parts_alone_mae']:.3f} "
                          f"with each exercise's part analysed alone; exercises named in the right order "
                          f"(segments with a rep) in **{ci['named_in_order']} of {ci['circuits']}**."]
        if "rest_side" in act:
            rs = act["rest_side"]
            lines += ["", f"Which side of its whole-body signal the class-agnostic rep counter takes for rest, on "
                          f"{rs['clips']} Penn Action rep-exercise clips (human labels, every split; right = the side the "
                          f"exercise's own signal calls rest): **{rs['body']:.2f}** right from the body (hips up at rest "
                          f"unless hanging from the hands; {rs['no_body_cue']:.2f} of clips without that cue fall back to "
                          f"where the signal spends most time), against {rs['time_spent']:.2f} for that time rule alone. "
                          "By exercise, body / time: " + ", ".join(f"{k} {v['body']:.2f} / {v['time_spent']:.2f}"
                                                                   for k, v in rs["by_exercise"].items()) + "."]
        if "urfd_video" in act:
            u = act["urfd_video"]
            lines += ["", f"URFD fall-01 from pixels ({u.get('classifier') or 'bundled classifier'}): labelled onset "
                          f"{u['labelled_onset_s']} s; events {u['events']}; one event within 1 s: **{u['one_event_within_1s']}**."]
        if "workouttracker_reps" in act:
            w = act["workouttracker_reps"]
            lines += ["", f"WorkoutTracker reps from pixels ({w['clips']} clips with markers): MAE **{w['mae']:.3f}**, "
                          f"off-by-one accuracy **{w['obo']:.3f}** (targets: MAE <= 0.15, OBO >= 0.8)."]
            if "clips_with_a_fall" in w:
                lines[-1] += f" Exercise clips that raised a fall (false alarms): {w['clips_with_a_fall']} of {w['clips']}."
            if "live_mae" in w:
                lines += ["", f"The same poses through the live `ActivityTracker` (what `Session` and `posekit run` report, "
                              f"flushed at the end): MAE **{w['live_mae']:.3f}**, OBO **{w['live_obo']:.3f}**, clips that "
                              f"raised a fall {w['live_clips_with_a_fall']} of {w['clips']}."]
                if "live_events_add_up" in w:
                    lines += ["", f"Live rep events: {w['live_reps_sent']} `new_reps` and {w['live_reps_withdrawn']} "
                                  f"`withdrawn_reps` sent; they add up to the final reading on {w['live_events_add_up']} "
                                  f"of {w['clips']} clips."]
                if "live_rep_delay_median_s" in w:
                    lines += ["", f"A rep is sent a median {w['live_rep_delay_median_s']:.2f} s after it ends "
                                  f"({w['live_rep_sent_within_1s']:.2f} within 1 s, 90th percentile "
                                  f"{w['live_rep_delay_p90_s']:.2f} s; the analysis runs every 20 frames)."]
            if "noise_mae" in w:
                nm = w["noise_mae"]
                lines += ["", f"The same poses with Gaussian noise of {w['noise_px']:g} px on every keypoint ({len(nm)} "
                              f"draws), to show how far a pixel moves the figure: MAE {min(nm):.3f}-{max(nm):.3f} "
                              f"(mean {sum(nm) / len(nm):.3f}); {w['noise_clips_changed']} of {w['clips']} clips "
                              f"change their count in at least one draw."]
            t = act.get("workouttracker_reps_teacher_pose")
            if "exercise_named" in w:
                lines += ["", f"The exercise the report names (its longest segment) matches the clip's folder on "
                              f"**{w['exercise_named']:.2f}** of the squat, push-up and pull-up clips ("
                              + ", ".join(f"{k} {v}" for k, v in w["exercise_named_by_class"].items()) + ")"
                              + (f"; {t['exercise_named']:.2f} on the teacher's keypoints ("
                                 + ", ".join(f"{k} {v}" for k, v in t["exercise_named_by_class"].items()) + ")"
                                 if t and "exercise_named" in t else "")
                              + ". A generic \"exercise\" segment or none counts as a miss."]
            if "given_mae" in w:
                lines += ["", f"With the exercise given (`exercise=`, as picked in the app) on those {w['given_clips']} clips: "
                              f"MAE **{w['given_mae']:.3f}**, OBO {w['given_obo']:.3f}, against {w['auto_mae_same_clips']:.3f} "
                              f"classified"
                              + (f" (teacher's keypoints: {t['given_mae']:.3f} against {t['auto_mae_same_clips']:.3f})"
                                 if t and "given_mae" in t else "") + "."]
            for k, text in (("minmax", "min-max normalised per frame"), ("centred", "centred per frame on the mid-hip"),
                            ("unsized", "normalised by the video's size and read without `image_size`")):
                if f"{k}_mae" in w:
                    lines += ["", f"The same poses {text}, as keypoint exports often are (`analyze_keypoints` warns): "
                                  f"MAE {w[f'{k}_mae']:.3f}, OBO {w[f'{k}_obo']:.3f}, clips that raised a fall "
                                  f"{w[f'{k}_clips_with_a_fall']} of {w['clips']}."]
            if t:
                lines += ["", f"Diagnostic, the same clips on the teacher's keypoints (`--teacher-pose`, same tracker and "
                              f"activity layer): MAE {t['mae']:.3f}, OBO {t['obo']:.3f}, clips that raised a fall "
                              f"{t['clips_with_a_fall']} of {t['clips']}: what the counter does with better poses."]
            if rep_scatter(w, HERE / "reps_scatter.png"):
                lines += ["", "![WorkoutTracker reps, predicted vs true](reps_scatter.png)"]
        if "urfd_video" in act and "timeline" in act["urfd_video"] and fall_timeline(act["urfd_video"], HERE / "fall_timeline.png"):
            lines += ["", "![URFD fall-01 timeline](fall_timeline.png)"]
        if "form_cues" in act:
            lines += ["", "Form cues on synthetic sequences with injected faults (exercise given; seeds apart from the "
                          "thresholds' tuning seeds; noisy 2D keypoints):", "",
                      "| cue | true positives | false positives | missed | precision | recall |", "|---|---|---|---|---|---|"]
            f = lambda v: "-" if v is None else f"{v:.2f}"
            for cue, r in act["form_cues"].items():
                lines.append(f"| {cue} | {r['tp']} | {r['fp']} | {r['fn']} | {f(r['precision'])} | {f(r['recall'])} |")
        lines.append("")
    cap = load("capture_eval.json")
    if cap:
        lines += ["## Capture conditions", "", "Command: `python -m training.eval_activity --capture --fall-folds RUNS` "
                  "(`make eval-capture`, part of `make bench`).", "",
                  f"The figures from pixels again, with every video seen as if filmed otherwise: the "
                  f"{cap['clips']} WorkoutTracker clips with rep markers (reps; clips that raised a fall, each a false "
                  f"alarm; the exercise named on the squat, push-up and pull-up clips) and URFD fall-01 "
                  f"({cap.get('urfd_classifier') or 'bundled classifier'}; one event within 1 s of the labelled onset). "
                  "Mirrored: a front camera's selfie view; half resolution: each side halved (INTER_AREA); 15 fps: every "
                  "second frame; low light: 35% of the light plus sensor noise (sigma 4 grey levels); JPEG q20: every "
                  "frame re-encoded at quality 20; greyscale: luma only, as a camera's night mode; portrait: the picture "
                  "in the middle of a 9:16 frame.", "",
                  "| capture | reps MAE | OBO | clips with a fall | exercise named | URFD fall-01 |", "|---|---|---|---|---|---|"]
        for name, c in cap["conditions"].items():
            urfd = ", ".join(f"{t:.2f} s" for t in c["urfd_fall_onsets_s"]) or "no event"
            named = "-" if c["exercise_named"] is None else f"{c['exercise_named']:.2f}"
            lines.append(f"| {name} | {c['mae']:.3f} | {c['obo']:.3f} | {c['clips_with_a_fall']} of {cap['clips']} | "
                         f"{named} | {urfd} ({'yes' if c['urfd_one_event_within_1s'] else 'no'}) |")
        lines.append("")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
