{#-
    Apache Spark (dbt-spark) implementations of the project's dispatching macros. Tables are
    Parquet files in the warehouse folder (no Delta or Iceberg jars in a plain PySpark install).
-#}

{#- No delete+insert on Parquet (macros/incremental.sql): a full rebuild on every run. -#}
{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#-
    try_cast to timestamp applies an offset and, without one, the session time zone (UTC in the
    profile), as DuckDB's cast to timestamptz. But Spark also reads words ('yesterday', 'now'),
    a time alone (today's date) and a year alone, which DuckDB rejects: the text must start
    with a date.
-#}
{% macro spark__to_utc_timestamp(column_name) -%}
    case
        when {{ column_name }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ]|$)'
            then try_cast({{ column_name }} as timestamp)
    end
{%- endmacro %}


{#-
    register_raw_input (macros/register_raw_inputs.sql): Spark reads the files the var raw_inputs
    names itself. Each becomes an external table `<table>__file` in the raw schema (CSV: the
    header gives the columns and every value is text, nothing is inferred; Parquet: the files'
    own columns), and the `raw` source view selects the declared columns from it.
-#}
{% macro spark__register_raw_input(layout, source_node) %}
    {#- Spark's file sources skip a file of 0 bytes; the finder refuses those before dbt runs,
        so no columns here means the file has no header line. -#}
    {%- set empty_error = "raw input error: " ~ layout.path ~ " is empty (expected a header row)" -%}

    {%- set file_table = api.Relation.create(
        database=source_node.database, schema=source_node.schema,
        identifier=source_node.identifier ~ '__file', type='table'
    ) -%}
    {%- if layout.format == 'csv' -%}
        {#- Every value is text and a bad value is quarantined in staging; a line with too few or
            too many fields fails the first query that reads it (FAILFAST) instead of being
            padded or cut. Quoting as RFC 4180 (a quote inside quotes is doubled), as DuckDB. -#}
        {%- set options = {
            'path': layout.path, 'header': 'true', 'inferSchema': 'false', 'mode': 'FAILFAST',
            'multiLine': 'true', 'quote': '"', 'escape': '"', 'encoding': 'UTF-8',
        } -%}
    {%- else -%}
        {#- The files of a folder may differ in their columns (DuckDB: union_by_name). -#}
        {%- set options = {
            'path': layout.path.replace('/*.parquet', ''), 'pathGlobFilter': '*.parquet',
            'mergeSchema': 'true',
        } -%}
    {%- endif -%}
    {%- set option_list = [] -%}
    {%- for key, value in options.items() -%}
        {%- do option_list.append(key ~ ' ' ~ spark__string_literal(value)) -%}
    {%- endfor -%}
    {%- do run_query("create schema if not exists " ~ file_table.without_identifier()) -%}
    {%- do run_query("drop table if exists " ~ file_table) -%}
    {%- do run_query(
        "create table " ~ file_table ~ " using " ~ layout.format
        ~ " options (" ~ (option_list | join(', ')) ~ ")"
    ) -%}

    {%- set file_columns = {} -%}
    {%- set describe = namespace(in_columns=true) -%}
    {%- for row in run_query("describe " ~ file_table) -%}
        {#- describe lists the columns, then partition or detail sections after an empty line; a
        file of blank lines has no column -#}
        {%- if row['col_name'] is none or row['col_name'] == '' or row['col_name'].startswith('#') -%}
            {%- set describe.in_columns = false -%}
        {%- endif -%}
        {%- if describe.in_columns -%}
            {%- do file_columns.update({row['col_name'].lstrip('\ufeff') | trim | lower: row['col_name']}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if file_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(empty_error) }}
    {%- endif -%}

    {#- Spark runs one statement per call, and the hook joins them into one: they run here. -#}
    {%- for statement in raw_input_statements(source_node, file_columns, file_table, layout.path) -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ return([]) }}
{% endmacro %}


{#- A Spark SQL string literal: a backslash escapes in Spark, so it is doubled too. -#}
{% macro spark__string_literal(value) -%}
    {{- "'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -}}
{%- endmacro %}


{#-
    dbt-spark's seed loader with `method: session` writes every value through Python's % into
    the SQL as '<value>': a null becomes the text 'None' and a quote breaks the statement. The
    values are written as SQL literals here instead (overrides dbt-spark's macro).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for col_name in agate_table.column_names -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- do values.append("cast(" ~ spark__seed_literal(row[loop.index0]) ~ " as " ~ type ~ ")") -%}
            {%- endfor -%}
            {%- do rows.append("(" ~ (values | join(", ")) ~ ")") -%}
        {%- endfor -%}
        {%- set sql = "insert into " ~ this.render() ~ " values\n" ~ (rows | join(",\n")) -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark__seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- elif value.strftime is defined -%}
        {{ spark__string_literal(value.isoformat(sep=' ') if value.hour is defined else value.isoformat()) }}
    {%- else -%}
        {{ spark__string_literal(value) }}
    {%- endif -%}
{%- endmacro %}


{#-
    amount_per (macros/amounts.sql): Spark divides decimals exactly, and its cast of a double to
    a decimal rounds the double's shortest text (9.255), not its binary value (9.2549999...).
    Rounding the double by hand (amounts are >= 0) gives DuckDB's result.
-#}
{% macro spark__amount_per(amount, count) -%}
    cast(floor(cast({{ amount }} as double) / {{ count }} * 100 + 0.5) / 100 as decimal(18, 2))
{%- endmacro %}


{#- format_number with 0 decimals writes the thousands separators, whatever the locale. -#}
{% macro spark__format_count(expression) -%}
    format_number(cast({{ expression }} as bigint), 0)
{%- endmacro %}
