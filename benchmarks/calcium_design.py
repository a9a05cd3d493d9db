"""Design check for notebook 08's new networks, scored on session 6 (the validation session) only.

The notebook's training recipe (sessions 0-5, 256 frames per file, batch 32, up to 8 epochs, Adam from
3e-3, the weights of the epoch best on session 6 kept), outside the notebook, for design variants that
differ in one respect at a time:

- ``A_frame_const``: model A as in generator version 4's first notebook: per-frame standardization
  (``LayerNormalization`` over the frame), a 4x4 stride-4 first convolution, constant learning rate;
- ``A_frame_cos``: the same with the learning rate decaying to 0 along a cosine;
- ``A_fixed_cos``: the same with one fixed standardization (the training pixels' mean and sd);
- ``A_fixed_cos_3x3``: the same with a 3x3 stride-2 first convolution and 2x2 average pooling (the
  notebook's model A);
- ``A_frame_cos_3x3``: the notebook's model A with per-frame standardization instead;
- ``B_frame_const`` and ``B_fixed_cos``: model B before and after (the notebook's model B).

It prints each copy's best session-6 accuracy and the mean per variant; it never looks at the test
sessions 7-9, so what it chooses is chosen on validation, as the notebook does.

    .venv/bin/python benchmarks/calcium_design.py --seeds 2,12,22,3,13 [--variants A_fixed_cos_3x3,...]

Measured 2026-11-29 on the 2-core reference machine, one thread, mean of the best session-6 accuracy:

- seeds 2,12,22,3,13 (the copies of the two seed-study runs whose gain missed +0.05 before): A_frame_const
  0.920, A_frame_cos 0.922, A_fixed_cos 0.933, A_frame_cos_3x3 0.919, A_fixed_cos_3x3 0.945 (every copy
  0.930-0.959; 37-51 s each against 23-38 s for A_frame_const); B_frame_const 0.911, B_fixed_cos 0.928.
  Standard errors of these means are 0.002-0.009. The chosen design (0.945) beats the old one (0.920) by
  more than four times the larger of their standard errors; the fixed standardization alone gains 0.011 over
  per-frame (0.933 against 0.922, about three standard errors), and the new first layers help only with it
  (per-frame: 0.919). Model B's 0.911 against 0.928 is within two standard errors of the old design's.
- seeds 4,14,24 (the run where a copy of model B never learned): B_frame_const 0.757 (seed 14: 0.527),
  B_fixed_cos 0.915 (every copy 0.898 or more).

Copies of one variant differ by up to 0.03 and more; the means over five seeds are what chose the design.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

VARIANTS = ("A_frame_const", "A_frame_cos", "A_fixed_cos", "A_frame_cos_3x3", "A_fixed_cos_3x3",
            "B_frame_const", "B_fixed_cos")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="2,12,22,3,13", help="training seeds, comma-separated")
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS))
    p.add_argument("--frames", type=int, default=256, help="frames per file (the notebook's full mode: 256)")
    p.add_argument("--epochs", type=int, default=8)
    args = p.parse_args(argv)
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        p.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    seeds = [int(s) for s in args.seeds.split(",")]

    import mlcourse.config
    mlcourse.config.start(seed=0, quiet=True)
    import keras
    import numpy as np
    import tensorflow as tf

    from mlcourse.data import calcium
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    calcium.prepare(verbose=False)
    X_train, y_train, _ = calcium.load_calcium(range(6), max_frames=args.frames)
    X_val, y_val, _ = calcium.load_calcium([6], max_frames=args.frames)
    mean, sd = float(X_train.mean()), float(X_train.std())
    L = keras.layers

    def standardize(kind):
        if kind == "frame":
            return L.LayerNormalization(axis=(1, 2, 3), center=False, scale=False)
        return L.Normalization(mean=mean, variance=sd ** 2)

    def model_a(kind, first_3x3):
        first = ([L.Conv2D(16, (3, 3), strides=2, activation="relu"), L.AveragePooling2D((2, 2))] if first_3x3
                 else [L.Conv2D(16, (4, 4), strides=4, activation="relu")])
        return keras.Sequential([keras.Input(shape=(128, 128, 1)), standardize(kind), *first,
                                 L.Conv2D(32, (3, 3), strides=2, padding="same", activation="relu"),
                                 L.Conv2D(32, (3, 3), padding="same", activation="relu"),
                                 L.GlobalAveragePooling2D(), L.Dense(2)])

    def model_b(kind):
        return keras.Sequential([keras.Input(shape=(128, 128, 1)), standardize(kind),
                                 L.Conv2D(8, (4, 4), strides=4, activation="relu"),
                                 L.Conv2D(16, (3, 3), strides=2, padding="same", activation="relu"),
                                 L.MaxPooling2D((2, 2)), L.Flatten(), L.Dense(32, activation="relu"),
                                 L.Dropout(0.3), L.Dense(2)])

    means = {}
    for variant in variants:
        net, kind, schedule, *rest = variant.split("_")
        scores = []
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            model = model_a(kind, bool(rest)) if net == "A" else model_b(kind)
            steps = args.epochs * -(-len(X_train) // 32)
            lr = keras.optimizers.schedules.CosineDecay(3e-3, steps) if schedule == "cos" else 3e-3
            model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            keep = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=args.epochs,
                                                 restore_best_weights=True)
            t0 = time.perf_counter()
            curve = model.fit(X_train, y_train, epochs=args.epochs, batch_size=32, validation_data=(X_val, y_val),
                              verbose=0, callbacks=[keep]).history["val_accuracy"]
            scores.append(max(curve))
            print(json.dumps({"variant": variant, "seed": seed, "session_6_best": round(max(curve), 4),
                              "session_6_by_epoch": [round(v, 3) for v in curve],
                              "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
        means[variant] = float(np.mean(scores))
    print("\nmean of the best session-6 accuracy over seeds " + ",".join(map(str, seeds)) + ":")
    for variant, value in means.items():
        print(f"  {variant:<17} {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
