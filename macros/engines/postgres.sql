{#-
    PostgreSQL (dbt-postgres) implementations of the project's dispatch macros. The models stay
    engine-neutral; every PostgreSQL difference lives here.
-#}


{#-
    Postgres has no try_cast, and a cast of text to timestamptz fails the whole statement on a bad
    value; it also accepts words DuckDB rejects ('yesterday', 'now') and reads a value without an
    offset in the session time zone, which dbt-postgres cannot set. So the text is matched against
    the ISO 8601 forms DuckDB accepts, every field is range-checked (2026-02-30 is null, as on
    DuckDB), and the UTC timestamp is computed from the fields: no cast can fail and no session
    setting is involved. Like DuckDB: month, day, hour and minute may have one digit, T or spaces
    separate date and time, 24:00:00 is the next midnight, fractions beyond microseconds are
    truncated, the offset is Z, ' UTC', +hh, +hhmm, +hh:mm or +hh:mm:ss (minutes and hours not
    range-checked). Not matched (null here, parsed by DuckDB): time zone names, years of other
    than four digits or 0000, hours of three digits, 'epoch', 'infinity' and date separators
    other than '-'. Every timestamp of the test fixtures parses as on DuckDB.
    The regular expression runs once per value, in a scalar subquery over its captures:
    1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction, 8 Z or UTC, 9 offset sign,
    10-12 offset hours, minutes, seconds.
-#}
{% macro postgres__to_utc_timestamp(column_name) -%}
    {%- set pattern = '^(\\d{4})-(\\d{1,2})-(\\d{1,2})'
        ~ '(?:(?:T\\s*|\\s+)(\\d{1,2}):(\\d{1,2})(?::(\\d{1,2})(?:\\.(\\d*))?)?'
        ~ '(?:(Z|\\s[Uu][Tt][Cc])|([+-])(\\d{2})(?::?(\\d{2}))?(?::(\\d{2}))?)?)?$' -%}
    {%- set year = 'cast(iso_parts.p[1] as integer)' -%}
    {%- set month = 'cast(iso_parts.p[2] as integer)' -%}
    {%- set day = 'cast(iso_parts.p[3] as integer)' -%}
    {%- set hour = 'cast(coalesce(iso_parts.p[4], \'0\') as integer)' -%}
    {%- set minute = 'cast(coalesce(iso_parts.p[5], \'0\') as integer)' -%}
    {%- set second = 'cast(coalesce(iso_parts.p[6], \'0\') as integer)' -%}
    {%- set microsecond = "cast(left(coalesce(iso_parts.p[7], '') || '000000', 6) as integer)" -%}
    {%- set offset_seconds = "(case iso_parts.p[9] when '-' then -1 else 1 end) * ("
        ~ "cast(coalesce(iso_parts.p[10], '0') as integer) * 3600"
        ~ " + cast(coalesce(iso_parts.p[11], '0') as integer) * 60"
        ~ " + cast(coalesce(iso_parts.p[12], '0') as integer))" -%}
    (
        select
            case
                when iso_parts.p is null then null
                when {{ year }} = 0 or {{ month }} not between 1 and 12 then null
                when {{ day }} not between 1 and extract(
                    day from make_date({{ year }}, {{ month }}, 1) + interval '1 month' - interval '1 day'
                ) then null
                when {{ minute }} > 59 or {{ second }} > 59 then null
                when {{ hour }} > 24 then null
                when {{ hour }} = 24
                    and ({{ minute }} > 0 or {{ second }} > 0 or {{ microsecond }} > 0) then null
                else cast(
                    make_date({{ year }}, {{ month }}, {{ day }})
                    + ({{ hour }} * 3600 + {{ minute }} * 60 + {{ second }} - {{ offset_seconds }})
                    * interval '1 second'
                    + {{ microsecond }} * interval '1 microsecond'
                    as timestamp
                )
            end
        {#- offset 0 keeps the planner from pulling the subquery up, which would copy the
            regexp_match call into every reference to a capture (20 times slower) #}
        from (select regexp_match({{ column_name }}, '{{ pattern }}') as p offset 0) as iso_parts
    )
{%- endmacro %}


{#-
    Like DuckDB's try_cast to decimal(18, 2): null for text that is not a number or does not fit;
    rounds half away from zero as DuckDB does. The pattern admits what a Postgres numeric cast
    can read without failing (not 'NaN', 'Infinity' or DuckDB's digit separator '1_000'), with a
    bounded exponent, and the range is checked on the unbounded numeric before the narrowing cast.
-#}
{% macro postgres__to_amount(column_name) -%}
    {%- set text = 'trim(' ~ column_name ~ ')' -%}
    {#- the outer cast keeps the type's scale, which a case with null branches drops -#}
    cast(
        case
            when not ({{ text }} ~ '^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?$') then null
            when abs(cast({{ text }} as numeric)) >= 9999999999999999.995 then null
            else {{ text }}
        end
        as decimal(18, 2)
    )
{%- endmacro %}


{#-
    DuckDB's rounding of amount / count: the quotient in double precision, rounded half away from
    zero to cents (Postgres' round of a double rounds half to even, and its cast of a double to
    numeric keeps only 15 digits: neither gives DuckDB's cents). Checked against DuckDB on 200,000
    random amounts and counts.
-#}
{% macro postgres__amount_per(amount, count) -%}
    {%- set quotient = '(cast(' ~ amount ~ ' as double precision) / ' ~ count ~ ')' -%}
    cast(
        cast(sign({{ quotient }}) * floor(abs({{ quotient }}) * 100 + 0.5) as decimal(38, 0)) / 100
        as decimal(18, 2)
    )
{%- endmacro %}


{#- Postgres has no `double`; double precision is the same 64-bit float. -#}
{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}


{#- to_char with a literal comma: the G pattern would follow the server's locale. -#}
{% macro postgres__format_count(expression) -%}
    to_char(cast({{ expression }} as bigint), 'FM9,999,999,999,999,999,990')
{%- endmacro %}


{#- Postgres has no median aggregate; the continuous percentile interpolates like DuckDB's. -#}
{% macro postgres__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}


{#-
    Postgres cannot read the client's files, so the pipeline (scripts/run_pipeline.py --target
    postgres --raw-dir; lifecycle/engines/postgres.py) loads each file the var raw_inputs names as
    it is into `<raw schema>.<table>__file`, every column text and named as in the file. The view
    then maps those columns like on DuckDB.
-#}
{% macro postgres__register_raw_input(layout, source_node) %}
    {%- set loaded_name = source_node.name ~ '__file' -%}
    {%- set loaded = adapter.get_relation(
        database=source_node.database, schema=source_node.schema, identifier=loaded_name
    ) -%}
    {%- if loaded is none -%}
        {{ exceptions.raise_compiler_error(
            "raw input error: no table " ~ source_node.schema ~ "." ~ loaded_name ~ " for "
            ~ layout.path ~ ": on postgres the files are loaded by scripts/run_pipeline.py"
            ~ " --target postgres --raw-dir <folder>"
        ) }}
    {%- endif -%}

    {%- set file_columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(loaded) -%}
        {%- do file_columns.update({column.name | trim | lower: column.name}) -%}
    {%- endfor -%}

    {{ return(raw_input_statements(
        source_node, file_columns, loaded, layout.path ~ " (loaded into " ~ loaded ~ ")"
    )) }}
{% endmacro %}
