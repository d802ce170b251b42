"""Keypoint files: a ``posekit run``'s frames.jsonl, and keypoints that other tools export
(.npy, .npz, JSON numbers or landmark objects, CSV with one row per frame)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from ..keypoints import LAYOUTS
from .streaming import SETTLE_FRAMES

#: Rows read to find a CSV file's header; rows converted to numbers per block.
HEAD_ROWS = 6
CSV_BLOCK = 4096
#: The largest keypoint file read (a 33-joint CSV of 10 hours at 30 fps is about 700 MB).
MAX_FILE_BYTES = 1 << 30
#: What a damaged or odd file raises while it is parsed (all reported as InvalidInputError).
UNREADABLE = (ValueError, TypeError, KeyError, IndexError, EOFError, OSError, OverflowError, RecursionError,
              MemoryError, AttributeError)


def _reason(e: BaseException) -> str:
    if isinstance(e, UnicodeDecodeError):
        return f"it is not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8"
    if isinstance(e, RecursionError):
        return "its JSON is nested too deeply"
    if isinstance(e, MemoryError):
        return "it needs more memory than there is"
    if isinstance(e, EOFError) or not str(e):
        return "it is empty or cut short" if isinstance(e, (EOFError, IndexError, ValueError)) else type(e).__name__
    return str(e)


def check_size(p: Path, where: str) -> None:
    """InvalidInputError when the file at ``p`` is empty or larger than :data:`MAX_FILE_BYTES`."""
    size = p.stat().st_size
    if size == 0:
        raise InvalidInputError(f"{where} is empty")
    if size > MAX_FILE_BYTES:
        raise InvalidInputError(f"{where} is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES >> 20} MB "
                                "read at once; split it")


def load_frames(path: str | Path) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Read the ``frames.jsonl`` that ``posekit run`` writes, as the live engine saw it: (T, 33, 3)
    keypoints in pixels (NaN rows where no person was found, and for a new track's first frames,
    which the engine skips too: ``track_age`` below ``streaming.SETTLE_FRAMES``), each frame's
    ``timestamp_ms``, and the frames where a new shot begins (its ``shot`` field), for
    :func:`analyze_keypoints`.

    Raises:
        InvalidInputError: missing file, or a line that is not such a frame record."""
    if not isinstance(path, (str, Path)) and not hasattr(path, "__fspath__"):
        raise InvalidInputError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}")
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"frames file {str(p)!r} does not exist")
    check_size(p, f"frames file {str(p)!r}")
    rows, ts, shots = [], [], []
    try:
        with p.open(encoding="utf-8") as f:  # a line at a time: the file is never held whole
            for i, line in enumerate(f, 1):
                if line.strip():
                    _frame_record(line, i, p, rows, ts, shots)
    except InvalidInputError:
        raise
    except UNREADABLE as e:
        raise InvalidInputError(f"frames file {str(p)!r} could not be read: {_reason(e)}") from None
    if not rows:
        raise InvalidInputError(f"frames file {str(p)!r} holds no frame")
    cuts = (np.flatnonzero(np.diff(shots)) + 1).tolist()
    return np.stack(rows), np.asarray(ts), cuts


def _frame_record(line: str, i: int, p: Path, rows: list, ts: list, shots: list) -> None:
    """Append line ``i`` of a frames file to ``rows``, ``ts`` and ``shots``."""
    try:
        rec = json.loads(line)
        kp = rec.get("keypoints")
        # Written as float32 (what the pose network gives): read back bit for bit.
        row = np.full((33, 3), np.nan) if kp is None else np.asarray(kp, dtype=np.float32).astype(np.float64)
        if row.shape != (33, 3):
            raise ValueError(f"keypoints of shape {row.shape}, not (33, 3)")
        age = rec.get("track_age")
        if age is not None and int(age) < SETTLE_FRAMES:
            row = np.full((33, 3), np.nan)
        t = float(rec["timestamp_ms"])
        if not np.isfinite(t) or (ts and t <= ts[-1]):
            raise ValueError(f"timestamp_ms {rec['timestamp_ms']!r} must be finite and later than the previous "
                             "frame's")
        shot = int(rec.get("shot", 0))
    except UNREADABLE as e:
        raise InvalidInputError(f"frames file {str(p)!r} line {i} is not a posekit frame record "
                                f"(timestamp_ms, keypoints [33][3] or null, shot): {_reason(e)}") from None
    rows.append(row)
    ts.append(t)
    shots.append(shot)


#: Keys a landmark object's confidence may come under in JSON exports; the smallest present is used.
CONF_KEYS = ("visibility", "presence", "score", "confidence")


def _landmark_frames(data: list, path: str) -> np.ndarray | None:
    """(T, K, 3) from JSON frames of landmark objects, as MediaPipe exports write them: each frame
    a list of ``{"x", "y"[, "z"][, "visibility"][, "presence"]}`` (or an object holding that list
    under "landmarks", "landmark" or "keypoints"), a frame without a person as null or []. None if
    ``data`` is not in that form (plain [T][K][C] numbers)."""
    def joints(frame: object) -> object:
        if isinstance(frame, dict):
            for key in ("landmarks", "landmark", "keypoints"):
                if key in frame:
                    return frame[key]
        return frame

    first = next((joints(f) for f in data if joints(f)), None)
    if not (isinstance(first, list) and first and isinstance(first[0], dict)):
        return None
    K = len(first)
    out = np.full((len(data), K, 3), np.nan)
    for t, frame in enumerate(data):
        lms = joints(frame)
        if not lms:
            continue
        if not isinstance(lms, list):
            raise InvalidInputError(f"keypoints file {path!r} frame {t} holds {lms!r}, not a list of landmarks")
        if len(lms) != K:
            raise InvalidInputError(f"keypoints file {path!r} frame {t} has {len(lms)} landmarks; the first frame "
                                    f"with landmarks has {K}")
        for j, lm in enumerate(lms):
            try:
                conf = [float(lm[c]) for c in CONF_KEYS if lm.get(c) is not None]
                out[t, j] = (float(lm["x"]), float(lm["y"]), min(conf) if conf else 1.0)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise InvalidInputError(f"keypoints file {path!r} frame {t} landmark {j} is {lm!r}: expected an "
                                        "object with numbers x, y and optionally visibility, presence or score") from None
    return out


def load_keypoints(path: str | Path, layout: str = "blazepose33", return_timestamps: bool = False
                   ) -> np.ndarray | tuple[np.ndarray, np.ndarray | None]:
    """Read keypoints from a file or a folder (with ``return_timestamps``, also each frame's time
    in ms where the file holds it, for ``analyze_keypoints(timestamps_ms=)``: a CSV time column,
    or ``timestamp_ms`` in every JSON frame object; else None):

    - .npy; .npz (first array, or 'keypoints'/'kps2d'/'noisy');
    - .json: [T][K][C] numbers; [T] frames of landmark objects as MediaPipe exports write them
      (:func:`_landmark_frames`); OpenPose frames (``{"people": [...]}``: one, or a list of them);
      COCO-style results (``[{"image_id", "keypoints": [x, y, score, ...]}, ...]``, as MMPose,
      AlphaPose and YOLO-pose write them: :func:`_coco_results`);
    - .csv, one row per frame (:func:`_csv_keypoints`; ``layout`` orders joints named in its header);
    - a folder of OpenPose ``--write_json`` files, one per frame (:func:`_openpose_folder`).

    Where a frame holds several people, the one with the highest summed keypoint confidence is read.

    Files larger than :data:`MAX_FILE_BYTES` are refused (a keypoint file that size would be
    hours of video at 30 fps; split it).

    Raises:
        InvalidInputError: missing or unreadable file, unknown suffix, or content in none of these forms."""
    if not isinstance(path, (str, Path)) and not hasattr(path, "__fspath__"):
        raise InvalidInputError(f"path must be a file or folder path (str or os.PathLike), got {type(path).__name__}")
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {sorted(LAYOUTS)}, got {layout!r}")
    kps, times = _load(Path(path), layout)
    return (kps, times) if return_timestamps else kps


def _load(p: Path, layout: str) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`load_keypoints`: the keypoints and, where the file holds them, the frames' times (ms)."""
    if p.is_dir():
        return _openpose_folder(p), None
    if not p.is_file():
        raise InvalidInputError(f"keypoints file {str(p)!r} does not exist")
    where = f"keypoints file {str(p)!r}"
    check_size(p, where)
    try:
        if p.suffix == ".npy":
            return np.load(p), None
        if p.suffix == ".npz":
            d = np.load(p)
            for k in ("keypoints", "kps2d", "noisy"):
                if k in d:
                    return d[k], None
            if not d.files:
                raise InvalidInputError(f"{where} holds no array")
            return d[d.files[0]], None
        if p.suffix == ".json":
            data = json.loads(p.read_text(encoding="utf-8-sig"))
            if isinstance(data, dict) and "people" in data:  # one OpenPose frame
                return _stack_frames({0: _openpose_frame(data, where)}, where), None
            if isinstance(data, dict):
                data = data.get("keypoints", data.get("frames", data))
            if isinstance(data, list):
                frames = _landmark_frames(data, str(p))
                if frames is not None:
                    stamped = all(isinstance(f, dict) and "timestamp_ms" in f for f in data)
                    return frames, _json_times(data, where) if stamped else None
                if data and all(isinstance(f, dict) and "people" in f for f in data):
                    frames = _stack_frames({i: _openpose_frame(f, f"{where} frame {i}") for i, f in enumerate(data)},
                                           where)
                if frames is None:
                    frames = _coco_results(data, where)
                if frames is not None:
                    return frames, None
            return np.asarray(data, dtype=np.float64), None
        if p.suffix == ".csv":
            with p.open(encoding="utf-8-sig", newline="") as f:
                return _csv_keypoints(f, str(p), layout)
    except InvalidInputError:
        raise
    except UNREADABLE as e:
        raise InvalidInputError(f"{where} could not be read: {_reason(e)}") from None
    raise InvalidInputError(f"keypoints file must be .npy, .npz, .json or .csv (or a folder of OpenPose .json "
                            f"frames), got {p.suffix!r}")


def _not_increasing(t: np.ndarray) -> int | None:
    """The first index where times ``t`` are not finite or not later than the one before, else None."""
    bad = ~np.isfinite(t)
    bad[1:] |= ~(t[1:] > t[:-1])
    return int(np.argmax(bad)) if bad.any() else None


def _json_times(frames: list[dict], where: str) -> np.ndarray:
    """Each JSON frame object's ``timestamp_ms``, which must be numbers that increase."""
    t = np.array([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                  for v in (f["timestamp_ms"] for f in frames)])
    bad = _not_increasing(t)
    if bad is not None:
        raise InvalidInputError(f"{where} frame {bad} has timestamp_ms {frames[bad]['timestamp_ms']!r}: each frame's "
                                "time, a number that increases from frame to frame")
    return t


def _flat_joints(values: object, where: str) -> np.ndarray:
    """[x, y, confidence, x, y, confidence, ...] (OpenPose, COCO results) -> (K, 3)."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        a = np.zeros(0)
    if a.ndim != 1 or len(a) == 0 or len(a) % 3:
        raise InvalidInputError(f"{where}: keypoints must be a flat list of x, y, confidence numbers (3 per joint), "
                                f"got {values if not isinstance(values, list) else f'{len(values)} values'!r}")
    return a.reshape(-1, 3)


def _most_confident(people: list[np.ndarray]) -> np.ndarray | None:
    """The person with the highest summed keypoint confidence (None for nobody)."""
    return max(people, key=lambda k: float(np.nansum(k[:, 2]))) if people else None


def _openpose_frame(rec: object, where: str) -> np.ndarray | None:
    """One OpenPose ``--write_json`` frame, ``{"people": [{"pose_keypoints_2d": [x, y, c, ...]}, ...]}``:
    the most confident person's (K, 3), None when nobody was found. OpenPose writes an unfound joint
    as (0, 0, 0), which ``to_body13`` reads as missing."""
    people = rec.get("people") if isinstance(rec, dict) else None
    if not isinstance(people, list):
        raise InvalidInputError(f"{where} is not an OpenPose frame: expected {{\"people\": [...]}}")
    found = []
    for i, person in enumerate(people):
        kp = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        if kp is None:
            raise InvalidInputError(f"{where} person {i} has no pose_keypoints_2d")
        if len(kp):
            found.append(_flat_joints(kp, f"{where} person {i}"))
    return _most_confident(found)


#: Frame numbers may skip frames without a person, but not span more than this many per entry.
MAX_SPAN_PER_FRAME = 50


def _stack_frames(frames: dict[int, np.ndarray | None], where: str) -> np.ndarray:
    """{frame number: (K, 3) or None} -> (T, K, 3) from the first number to the last; a number with
    nobody, or absent, is a NaN row."""
    shapes = sorted({f.shape[0] for f in frames.values() if f is not None})
    if not shapes:
        raise InvalidInputError(f"{where}: no frame holds a person")
    if len(shapes) > 1:
        raise InvalidInputError(f"{where}: frames hold different numbers of joints: {shapes}")
    lo, hi = min(frames), max(frames)
    if hi - lo + 1 > MAX_SPAN_PER_FRAME * len(frames):
        raise InvalidInputError(f"{where}: {len(frames)} frames numbered {lo} to {hi}: numbers that far apart are "
                                "not the frames of one video")
    out = np.full((hi - lo + 1, shapes[0], 3), np.nan)
    for n, f in frames.items():
        if f is not None:
            out[n - lo] = f
    return out


def _frame_number(name: str) -> int | None:
    """The frame number in a name such as ``video_000000000012_keypoints`` or ``frame_0012.jpg``:
    its last run of digits (None without one)."""
    digits = re.findall(r"\d+", name)
    return int(digits[-1]) if digits else None


def _openpose_folder(p: Path) -> np.ndarray:
    """A folder of OpenPose ``--write_json`` files, one per frame, placed by the frame number in
    each name (in name order when the names do not all carry distinct numbers)."""
    files = sorted(p.glob("*.json"))
    if not files:
        raise InvalidInputError(f"keypoints folder {str(p)!r} holds no .json file (OpenPose --write_json writes one "
                                "per frame)")
    numbers = [_frame_number(f.stem) for f in files]
    if None in numbers or len(set(numbers)) != len(numbers):
        numbers = list(range(len(files)))
    frames = {}
    for n, f in zip(numbers, files):
        where = f"keypoints file {str(f)!r}"
        try:
            check_size(f, where)
            rec = json.loads(f.read_text(encoding="utf-8-sig"))
        except UNREADABLE as e:
            raise InvalidInputError(f"{where} could not be read: {_reason(e)}") from None
        frames[n] = _openpose_frame(rec, where)
    return _stack_frames(frames, f"keypoints folder {str(p)!r}")


def _coco_results(data: list, where: str) -> np.ndarray | None:
    """COCO-style keypoint results, ``[{"image_id": 12 | "frame_0012.jpg", "keypoints": [x, y, s, ...]}, ...]``
    (MMPose, AlphaPose, YOLO-pose exports), as (T, K, 3) from the first frame with a person to the
    last, placed by the frame number in ``image_id`` (frames without an entry: NaN rows). None if
    ``data`` is not in that form."""
    if not (data and all(isinstance(d, dict) and "keypoints" in d and "image_id" in d for d in data)):
        return None
    by_frame: dict[int, list[np.ndarray]] = {}
    for i, d in enumerate(data):
        image = d["image_id"]
        n = image if isinstance(image, int) and not isinstance(image, bool) else _frame_number(str(image))
        if n is None:
            raise InvalidInputError(f"{where} entry {i}: image_id {image!r} carries no frame number, so the frames "
                                    "cannot be put in order")
        by_frame.setdefault(n, []).append(_flat_joints(d["keypoints"], f"{where} entry {i}"))
    return _stack_frames({n: _most_confident(v) for n, v in by_frame.items()}, where)


#: Words that name a keypoint's value in CSV column names -> what it is ("conf": any confidence;
#: a joint's confidence is the smallest of its confidence columns).
CSV_VALUES = {"x": "x", "y": "y", "z": "z", "visibility": "conf", "vis": "conf", "v": "conf",
              "presence": "conf", "score": "conf", "confidence": "conf", "conf": "conf", "c": "conf",
              "likelihood": "conf", "prob": "conf", "probability": "conf"}
_VALUE_WORD = "|".join(sorted(CSV_VALUES, key=len, reverse=True))
#: "x12", "x_12", "visibility3" (joint by index); "nose_x", "left_shoulder_visibility"; "x_nose".
_INDEXED = re.compile(rf"^({_VALUE_WORD})_?(\d+)$", re.IGNORECASE)
_SUFFIXED = re.compile(rf"^(.+)_({_VALUE_WORD})$", re.IGNORECASE)
_PREFIXED = re.compile(rf"^({_VALUE_WORD})_(.+)$", re.IGNORECASE)
_MISSING_CELLS = {"", "nan", "none", "null", "na"}


def _number(cell: str) -> float | None:
    """A CSV cell as a number (NaN for an empty or missing-value cell), None if it is text."""
    c = cell.strip()
    if c.lower() in _MISSING_CELLS:
        return float("nan")
    try:
        return float(c)
    except ValueError:
        return None


def _numbers(rows: Iterable[list[str]], columns, path: str, first_line: int) -> np.ndarray:
    """The given columns of CSV rows (read one at a time) as a (rows, columns) float array;
    InvalidInputError naming the line and column of a short row or a cell that is not a number."""
    columns = list(columns)
    blocks: list[np.ndarray] = []
    block = np.empty((CSV_BLOCK, len(columns)))
    width = None
    n = 0
    for i, r in enumerate(rows):
        line = first_line + i + 1
        width = len(r) if width is None else width
        if len(r) <= columns[-1] or (first_line == 0 and len(r) != width):
            raise InvalidInputError(f"keypoints file {path!r} line {line} has {len(r)} cells; the rows before it "
                                    f"have {width}")
        if n == CSV_BLOCK:
            blocks.append(block)
            block, n = np.empty((CSV_BLOCK, len(columns))), 0
        for k, j in enumerate(columns):
            v = _number(r[j])
            if v is None:
                raise InvalidInputError(f"keypoints file {path!r} line {line} column {j + 1} is {r[j]!r}, "
                                        "not a number (empty, nan or null for a missing value)")
            block[n, k] = v
        n += 1
    blocks.append(block[:n])
    return np.concatenate(blocks)


def _column_key(name: str) -> tuple[str | int, str] | None:
    """(joint name or index, value kind) that a CSV column name stands for, or None (a frame
    number, a timestamp, a label: not a keypoint value)."""
    n = re.sub(r"[^0-9A-Za-z]+", "_", name.strip()).strip("_")  # the joint's own spelling kept
    for rx, joint, value in ((_INDEXED, 2, 1), (_SUFFIXED, 1, 2), (_PREFIXED, 2, 1)):
        m = rx.match(n)
        if m:
            j = m.group(joint)
            return (int(j) if j.isdigit() else j), CSV_VALUES[m.group(value).lower()]
    return None


def _layout_names(layout: str) -> list[str | None]:
    """The layout's joints as lower-case BlazePose names (MediaPipe's PoseLandmark, which COCO's
    names match), None where the layout's joint has no BlazePose equivalent."""
    return [None if k is None else k.name.lower() for k in LAYOUTS[layout]]


def _joint_name(name: str, known: set[str]) -> str:
    """``name`` in the layout's spelling: "LeftShoulder", "l_shoulder" and "lshoulder" read as
    "left_shoulder" when that is one of ``known``."""
    n = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)  # camelCase -> snake_case
    n = re.sub(r"[^0-9a-z]+", "_", n.lower()).strip("_")
    if n in known:
        return n
    m = re.match(r"^(l|r)_?(.+)$", n)
    if m and f"{'left' if m.group(1) == 'l' else 'right'}_{m.group(2)}" in known:
        return f"{'left' if m.group(1) == 'l' else 'right'}_{m.group(2)}"
    return n


#: CSV columns that hold each frame's time -> milliseconds per unit (a bare "time" or
#: "timestamp" does not say its unit, and is ignored).
TIME_COLUMNS = {"timestamp_ms": 1.0, "time_ms": 1.0, "t_ms": 1.0, "pts_ms": 1.0, "frame_time_ms": 1.0,
                "timestamp_s": 1000.0, "time_s": 1000.0, "t_s": 1000.0, "seconds": 1000.0}


def _csv_keypoints(f: io.TextIOBase, path: str, layout: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(T, K, 3) (x, y, conf) from a CSV file with one row per frame, and each frame's time in ms
    when a column holds it (:data:`TIME_COLUMNS`: ``timestamp_ms``, ``time_s``, ...), else None.

    With a header, the columns are found by name: ``nose_x``, ``x_nose``, ``x12`` / ``x_12``
    (joint by index, 0- or 1-based), value words x, y, z (ignored), visibility, presence, score,
    confidence, likelihood (a joint's confidence: the smallest of these; 1 without any). Joint
    names in the layout's spelling (MediaPipe's, or COCO's: ``left_shoulder``; also
    ``LeftShoulder``, ``l_shoulder``) are put in the layout's order, a layout joint without columns
    is missing; names outside the layout are kept in the file's order when their number is the
    layout's. DeepLabCut's three header rows (scorer, bodyparts, coords) read the same way.
    Other columns (frame, label, a time without its unit) are ignored. Without a header every
    row is K x C numbers, C in 2-5, read as an array of that shape is (see ``analyze_keypoints``).
    Empty cells, nan and null are missing values. The rows are read one at a time into numbers
    (a file's text is never held whole)."""
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {sorted(LAYOUTS)}, got {layout!r}")
    sample = f.read(4096)
    f.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = (r for r in csv.reader(f, dialect) if r)  # blank lines; a row of empty cells is a frame
    rows = list(itertools.islice(reader, HEAD_ROWS))  # the header (if any) and the first rows of numbers
    if not rows:
        raise InvalidInputError(f"keypoints file {path!r} holds no row")
    # Header rows: those with text where the last row read has numbers (a text column, e.g. a
    # label, is text all the way down); at most 4 (DeepLabCut: scorer, individuals, bodyparts, coords).
    numeric = [_number(c) is not None for c in rows[-1]]
    n_head = 0
    while n_head < min(len(rows) - 1, 4) and any(
            j < len(numeric) and numeric[j] and _number(c) is None for j, c in enumerate(rows[n_head])):
        n_head += 1
    K = len(LAYOUTS[layout])
    if n_head == 0:
        values = _numbers(itertools.chain(rows, reader), range(len(rows[0])), path, 0)
        width = values.shape[1]
        if width % K or not 2 <= width // K <= 5:
            raise InvalidInputError(
                f"keypoints file {path!r} has rows of {width} numbers and no header: layout {layout!r} needs "
                f"{K} joints x 2-5 values ({', '.join(str(K * c) for c in range(2, 6))} numbers); pass the "
                "matching --layout, or add a header naming the columns (e.g. nose_x, nose_y)")
        return values.reshape(len(values), K, width // K), None

    # A column's name: its last two header cells joined (DeepLabCut: bodypart, then coordinate).
    width = max(len(h) for h in rows[:n_head])
    names = ["_".join(h[j].strip() for h in rows[max(0, n_head - 2):n_head] if j < len(h) and h[j].strip())
             for j in range(width)]
    cols: dict[str | int, dict[str, list[int]]] = {}
    for j, name in enumerate(names):
        key = _column_key(name)
        if key is not None:
            cols.setdefault(key[0], {}).setdefault(key[1], []).append(j)
    # A name with a confidence or z but no coordinates (a person's score) is not a joint.
    cols = {j: v for j, v in cols.items() if "x" in v or "y" in v}
    if not cols:
        raise InvalidInputError(f"keypoints file {path!r}: no column of its header names a keypoint coordinate "
                                f"(e.g. nose_x, x0, x_nose); the header reads {names[:8]}")
    for joint, vals in cols.items():
        if "x" not in vals or "y" not in vals:
            raise InvalidInputError(f"keypoints file {path!r}: joint {joint!r} has columns for "
                                    f"{sorted(vals)} but needs both x and y")
        if len(vals["x"]) > 1 or len(vals["y"]) > 1:
            raise InvalidInputError(f"keypoints file {path!r}: joint {joint!r} has {len(vals['x'])} x and "
                                    f"{len(vals['y'])} y columns (several people?); keep one person's columns")
    joints = list(cols)
    if all(isinstance(j, int) for j in joints):  # by index, 0- or 1-based
        base = 1 if min(joints) == 1 and max(joints) == len(joints) else 0
        if max(joints) - base >= K:
            raise InvalidInputError(f"keypoints file {path!r} names joint {max(joints)} by index, but layout {layout!r} "
                                    f"has {K} joints ({base} to {K - 1 + base}); pass the matching --layout")
        order: list[str | int | None] = [j + base if j + base in cols else None for j in range(max(joints) + 1 - base)]
    else:
        known = {n for n in _layout_names(layout) if n}
        spelled = {j: _joint_name(str(j), known) for j in joints}
        if all(s in known for s in spelled.values()):
            by_name = {s: j for j, s in spelled.items()}
            order = [by_name.get(n) if n else None for n in _layout_names(layout)]
        elif len(joints) == K:
            order = joints
        else:
            unknown = sorted(str(j) for j, s in spelled.items() if s not in known)
            raise InvalidInputError(
                f"keypoints file {path!r} names {len(joints)} joints, {unknown[:6]} not among layout {layout!r}'s "
                f"{K} ({', '.join(sorted(known)[:6])}, ...); pass the matching --layout")
    clock = [(j, TIME_COLUMNS[re.sub(r"[^0-9a-z]+", "_", n.strip().lower()).strip("_")]) for j, n in enumerate(names)
             if re.sub(r"[^0-9a-z]+", "_", n.strip().lower()).strip("_") in TIME_COLUMNS][:1]
    used = sorted({c for v in cols.values() for cs in v.values() for c in cs} | {j for j, _ in clock})
    table = _numbers(itertools.chain(rows[n_head:], reader), used, path, n_head)
    values = np.full((len(table), width), np.nan)
    values[:, used] = table
    times = None
    if clock:
        (j, to_ms), = clock
        times = values[:, j] * to_ms
        bad = _not_increasing(times)
        if bad is not None:
            raise InvalidInputError(f"keypoints file {path!r} column {names[j]!r} holds each frame's time and must "
                                    f"increase from row to row; line {bad + n_head + 1} reads {float(values[bad, j])!r}")
    out = np.full((len(values), len(order), 3), np.nan)
    for k, joint in enumerate(order):
        if joint is None:
            continue
        vals = cols[joint]
        out[:, k, 0], out[:, k, 1] = values[:, vals["x"][0]], values[:, vals["y"][0]]
        out[:, k, 2] = np.fmin.reduce(values[:, vals["conf"]], axis=1) if "conf" in vals else 1.0
    return out, times
