#!/usr/bin/env python3
"""Splink (Python + DuckDB) on the files `linkage --csv DIR` writes, for a reference figure
beside Haven's own bench. Not part of the test suite; needs `pip install splink`.

    cargo bench -p haven-matching --bench linkage -- 1000000 hard --csv /tmp/m1m
    /usr/bin/time -v python3 scripts/splink-reference.py /tmp/m1m

A usual Splink model for person records: Jaro-Winkler names with term-frequency adjustment,
a date-of-birth comparison, exact sex and nationality, the P-code by prefix. Splink has no
transliteration and no age intervals, so it gets the columns as they are (the guessed ages are
left out). Prints precision, recall, F1 at 0.5 and the time of each stage.
"""

import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def main(folder: str) -> None:
    t0 = time.time()
    con = duckdb.connect()
    con.execute(f"create table raw as select * from read_csv('{folder}/all.csv', all_varchar = true)")
    # A year alone or a date that does not parse is missing to Splink.
    con.execute(
        """create table people as select * replace (try_cast(date_of_birth as date) as date_of_birth),
             substr(place_code, 1, 6) as district, substr(place_code, 1, 2) as country
           from raw"""
    )
    con.execute("drop table raw")
    db = DuckDBAPI(con)
    df = db.register("people")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("father_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("mother_name", [0.92, 0.8]),
            cl.ExactMatch("sex"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
            cl.ExactMatch("nationality"),
            cl.CustomComparison(
                output_column_name="place_code",
                comparison_levels=[
                    {
                        "sql_condition": '"place_code_l" IS NULL OR "place_code_r" IS NULL',
                        "label_for_charts": "null",
                        "is_null_level": True,
                    },
                    {"sql_condition": '"place_code_l" = "place_code_r"', "label_for_charts": "same"},
                    {"sql_condition": '"district_l" = "district_r"', "label_for_charts": "district"},
                    {"sql_condition": '"country_l" = "country_r"', "label_for_charts": "country"},
                    {"sql_condition": "ELSE", "label_for_charts": "else"},
                ],
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "date_of_birth"),
            block_on("family_name", "date_of_birth"),
            block_on("given_name", "family_name"),
            block_on("given_name", "district"),
            block_on("given_name", "mother_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(df, settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth")], recall=0.5
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), fix_u_probabilities=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth", "sex"), fix_u_probabilities=True
    )
    t_train = time.time()
    pairs = linker.inference.predict(threshold_match_probability=0.5)
    found = pairs.as_duckdbpyrelation()
    con.register("found", found)
    con.execute(f"create table truth as select * from read_csv('{folder}/truth.csv', all_varchar = true)")
    tp, total = con.execute(
        """select count(*) filter (where a.entity = b.entity), count(*)
           from found f join truth a on a.record_id = f.record_id_l
                        join truth b on b.record_id = f.record_id_r"""
    ).fetchone()
    true_pairs = con.execute(
        "select sum(n * (n - 1) / 2) from (select count(*) as n from truth group by entity)"
    ).fetchone()[0]
    t_end = time.time()
    precision = tp / max(total, 1)
    recall = tp / max(true_pairs, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(
        f"splink: pairs {total} | precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}"
        f" | train {t_train - t0:.1f}s, predict {t_end - t_train:.1f}s, total {t_end - t0:.1f}s"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/m1m")
