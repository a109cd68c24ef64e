{#-
    Incremental processing (README "Incremental runs", docs/decisions.md #42-46).

    Staging re-reads from raw only the rows whose time falls in the last
    `incremental_lookback_days` days already loaded (and the rows whose time cannot be parsed),
    replacing those days. Every row a model (re)writes in a run carries the run's start time in
    `loaded_at`, so the next model knows which keys changed and recomputes them in full: every
    version of a changed order, every row of a changed touchpoint_id, every touchpoint of an
    anonymous_id whose identification may have changed, every order of an affected person.
-#}

{#- The run's start time: rows written by this run carry it in loaded_at. -#}
{% macro run_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#- The window day of rows whose time cannot be parsed: they are re-read on every run. -#}
{% macro unparsed_window_day() -%}
    cast('1900-01-01' as date)
{%- endmacro %}


{#-
    The first day staging re-reads from raw: the latest window day already loaded minus the
    lookback. Rows dated earlier that arrive later are not read until a full refresh (the
    reconciliation test then fails: raw rows would be unaccounted for). Rows quarantined as
    future_timestamp do not count: their day is after every loaded one, so they are re-read on
    every run until the load date reaches them (decisions #64).
-#}
{% macro lookback_start_day() -%}
    {%- if execute -%}
        {%- set loaded_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if 'window_day' not in loaded_columns -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built by a version without incremental processing: rebuild it once "
                ~ "with --full-refresh"
            ) }}
        {%- endif -%}
    {%- endif -%}
    coalesce(
        {{ dbt.dateadd(
            'day',
            -1 * var('incremental_lookback_days'),
            '(select max(window_day) from ' ~ this ~ ' where window_day > ' ~ unparsed_window_day()
            ~ " and coalesce(quarantine_reason, '') <> 'future_timestamp')"
        ) }},
        {{ unparsed_window_day() }}
    )
{%- endmacro %}


{#-
    is_incremental() for the models whose rows depend on as_of (dispositions). The default as_of
    is the latest date among kept rows, at most the load date (decisions #64): only collapsed
    rows (a later duplicate, a superseded version) and rows dated the day after the load date
    can fall after it, and the dispositions models recompute the keys of those that cross it.
    An explicit as_of can move kept rows and the past: it needs a full rebuild.
-#}
{% macro as_of_is_incremental() -%}
    {%- if is_incremental() and var('as_of', none) is not none -%}
        {{ exceptions.raise_compiler_error(
            "as_of is set (" ~ var('as_of') ~ "): models updated incrementally assume the default "
            ~ "as_of; rebuild them with --full-refresh"
        ) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{%- endmacro %}


{#-
    The materialization of the incremental models. Their strategy is delete+insert, which the
    engine must support. On Spark (Parquet tables) dbt-spark has no delete+insert, and merge
    needs Delta or Iceberg: there they are plain tables, rebuilt in full on every run (the
    models' is_incremental() is then always false, so every run reads all of raw).
    Engines: duckdb (default), spark.
-#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'customer_lifecycle')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}
