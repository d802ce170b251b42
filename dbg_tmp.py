import numpy as np
from training.synth.dataset import make_sequence
from posekit.activity import normalise, to_body13, detect_falls
from posekit.activity.falls import horizontal_signal, _smooth
for sd in range(301, 310):
    m, arr = make_sequence("lying_down", sd, seconds=8)
    seq = normalise(to_body13(arr["noisy"]), 30.0)
    ev = detect_falls(seq)
    if ev:
        tilt = _smooth(seq.tilt, 5); h = _smooth(seq.hip[:, 1], 5); H = horizontal_signal(seq)
        print(sd, ev, str(arr['camera'])[-15:])
        print('tilt', np.round(tilt[::6]).astype(int).tolist())
        print('hip ', np.round(h[::6] - h[0], 2).tolist())
        print('H', ''.join(map(str, H[::3].astype(int))))
        break
