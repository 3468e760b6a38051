"""Make data/affairs.csv, the raw table of the default sweep's `affairs` experiment.

Source: the affairs data of Fair (1978), "A Theory of Extramarital Affairs", as shipped with
statsmodels (``statsmodels.datasets.fair``): 6,366 women surveyed by Redbook magazine in
1974. Changed here, so that the table looks like the raw tables lrsweep is meant for:

- ``occupation`` and ``occupation_husb`` hold the occupation's name instead of its code
  (statsmodels' NOTE gives the codes);
- the target ``had_affair`` is "yes" when ``affairs`` (time spent in affairs) is above 0, and
  ``affairs`` itself is left out (it is the answer);
- to show imputation, 3 % of the ``religious`` answers and 2 % of ``occupation_husb`` are
  blanked, at rows drawn with a fixed seed. These gaps are not in the survey.

Run ``python data/make_affairs.py`` to make the file again; it is byte-for-byte the same.
"""

from pathlib import Path

import numpy as np

OCCUPATIONS = {
    1: "student",
    2: "farming/semi-skilled",
    3: "white-collar",
    4: "teacher/nurse/skilled",
    5: "managerial",
    6: "professional",
}


def main() -> None:
    import statsmodels.api as sm

    data = sm.datasets.fair.load_pandas().data.copy()
    for column in ("occupation", "occupation_husb"):
        data[column] = data[column].astype(int).map(OCCUPATIONS)
    data["had_affair"] = np.where(data.pop("affairs") > 0, "yes", "no")
    rng = np.random.default_rng(1978)
    for column, share in (("religious", 0.03), ("occupation_husb", 0.02)):
        rows = rng.choice(len(data), size=int(share * len(data)), replace=False)
        data.loc[data.index[rows], column] = None
    out = Path(__file__).with_name("affairs.csv")
    data.to_csv(out, index=False, float_format="%g")
    print(f"{out}: {len(data)} rows, {data['had_affair'].eq('yes').mean():.1%} had an affair")


if __name__ == "__main__":
    main()
