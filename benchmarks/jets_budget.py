"""Calibration/time check for notebook 06: raw and scaled SGD test accuracy on the jet stand-in
for a given subsample size, epochs and seeds (the notebook's pipeline, outside the notebook).

    .venv/bin/python benchmarks/jets_budget.py --n-sub 100000 --epochs 30 --data-seeds 0-4
"""
import argparse
import os
import time

os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
import numpy as np  # noqa: E402


def seeds_of(text):
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n-sub", type=int, default=150_000)
    p.add_argument("--n-val", type=int, default=50_000)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--data-seeds", default="0-4")
    p.add_argument("--inputs", default="raw,scaled")
    p.add_argument("--lr", type=float, default=0.01)
    args = p.parse_args()
    import keras
    import tensorflow as tf
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, StandardScaler

    from mlcourse.data.jets import make_standin_jets
    from mlcourse.training import Trainer
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    def build():
        m = keras.Sequential([keras.Input((16,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(5, activation="softmax")])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=args.lr), loss="categorical_crossentropy")
        return m

    for s in seeds_of(args.data_seeds):
        X, y = make_standin_jets(830_000, s)
        Y = keras.utils.to_categorical(LabelEncoder().fit_transform(y), 5)
        Xtv, Xte, Ytv, Yte = train_test_split(X, Y, test_size=0.2, random_state=42)
        n_tr = int(np.ceil(0.75 * len(Xtv)))
        Xtr, Xv, Ytr, Yv = Xtv[:n_tr], Xtv[n_tr:], Ytv[:n_tr], Ytv[n_tr:]
        rng = np.random.default_rng(s)
        sub = np.sort(rng.choice(len(Xtr), args.n_sub, replace=False))
        vsub = np.sort(rng.choice(len(Xv), args.n_val, replace=False))
        sc = StandardScaler().fit(Xtr)
        for kind in args.inputs.split(","):
            f = sc.transform if kind == "scaled" else (lambda a: a)
            t0 = time.perf_counter()
            tr = Trainer(build, f(Xtr[sub]), Ytr[sub], x_test=f(Xte), y_test=Yte, epochs=args.epochs,
                         batch_size=1024, validation_data=(f(Xv[vsub]), Yv[vsub]))
            accs = [tr(k).test_accuracy for k in range(s, s + 5)]
            print(f"data seed {s} {kind}: " + " ".join(f"{a:.3f}" for a in accs)
                  + f"  mean {np.mean(accs):.3f} mean3 {np.mean(accs[:3]):.3f}  ({time.perf_counter() - t0:.0f} s)",
                  flush=True)


if __name__ == "__main__":
    main()
