{#-
    on-run-start hook. When the var `raw_inputs` names the raw files ({orders: <file>,
    touchpoints: <file>}, as the pipeline's raw-input finder found them in --raw-dir: lifecycle/
    raw_inputs.py), the `raw` source tables become views over them (docs/definitions.md §2): a
    `.csv` file, a `.parquet` file, or a glob of `.parquet` parts. Without it nothing happens: the
    demo seeds are the raw tables. The files are not looked for here: the finder is the one place.

    Each view has exactly the columns declared for the source in `_raw__sources.yml`, all as
    text: a missing optional column reads as null, a missing required column (meta.required) stops
    the run with one line naming the file and the column. Checks run while the hook renders; the
    hook's SQL creates the views.
-#}
{% macro register_raw_inputs() %}
    {%- set files = var('raw_inputs', none) -%}
    {%- set statements = [] -%}
    {%- if execute and files -%}
        {%- for source_node in graph.sources.values() if source_node.source_name == 'raw' -%}
            {%- do statements.extend(
                adapter.dispatch('register_raw_input', 'customer_lifecycle')(
                    raw_input_of(files, source_node.name), source_node
                )
            ) -%}
        {%- endfor -%}
    {%- elif execute and var('raw_dir', none) -%}
        {{ exceptions.raise_compiler_error(
            "raw input error: dbt reads the files named by the var raw_inputs, not a folder: "
            ~ "scripts/run_pipeline.py --raw-dir " ~ var('raw_dir') ~ " finds them, or give them: "
            ~ "--vars '{raw_inputs: {orders: <file>, touchpoints: <file>}}' (README \"Running on your own data\")"
        ) }}
    {%- elif execute -%}
        {%- do drop_raw_input_views() -%}
    {%- endif -%}
    {%- if statements -%}
        {#- The checks above opened a transaction that dbt rolls back after the hooks; closing it
            here lets the hook's SQL below run, and stay, outside of it. -#}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{- statements | join(';\n') -}}
{% endmacro %}


{#-
    The entry of `table_name` in the var raw_inputs as {format, path}: a path alone is read as
    CSV when it ends in .csv and as Parquet otherwise.
-#}
{% macro raw_input_of(files, table_name) %}
    {%- set entry = files.get(table_name) -%}
    {%- if entry is none -%}
        {{ exceptions.raise_compiler_error(
            "raw input error: the var raw_inputs names no file for " ~ table_name
        ) }}
    {%- endif -%}
    {%- set path = entry if entry is string else entry['path'] -%}
    {%- set format = entry.get('format') if entry is mapping else none -%}
    {{ return({
        'path': path,
        'format': format or ('csv' if (path | trim | lower).endswith('.csv') else 'parquet'),
    }) }}
{% endmacro %}


{#-
    Without raw_dir the demo seeds are the raw tables: views over the files of an earlier run
    with raw_dir would stop `dbt seed` ("Cannot seed to raw.orders, it is a view"), so they go.
-#}
{% macro drop_raw_input_views() %}
    {%- set dropped = [] -%}
    {%- for source_node in graph.sources.values() if source_node.source_name == 'raw' -%}
        {%- set existing = adapter.get_relation(
            database=source_node.database, schema=source_node.schema, identifier=source_node.identifier
        ) -%}
        {%- if existing is not none and existing.type == 'view' -%}
            {{ log("raw input: dropping " ~ existing ~ " (a view over files of an earlier run): the demo seeds are the raw data", info=true) }}
            {%- do adapter.drop_relation(existing) -%}
            {%- do dropped.append(existing) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if dropped -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
{% endmacro %}


{#-
    Engines: duckdb (default), postgres and spark (macros/engines/). DuckDB reads the files
    itself with read_csv / read_parquet.
-#}
{% macro default__register_raw_input(layout, source_node) %}
    {%- if layout.format == 'csv' -%}
        {%- set file_columns = csv_header_columns(layout.path) -%}
        {%- set column_types = [] -%}
        {%- for name in file_columns.values() -%}
            {%- do column_types.append(sql_string_literal(name) ~ ": 'VARCHAR'") -%}
        {%- endfor -%}
        {#- The header gives the columns and every value is text: DuckDB's sniffer is not asked to
            guess (it takes a ragged line for the header), a ragged line fails the read, and a
            bad value is quarantined in staging instead of failing the load. -#}
        {%- set reader = "read_csv(" ~ sql_string_literal(layout.path)
            ~ ", header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"'"
            ~ ", columns = {" ~ (column_types | join(', ')) ~ "})" -%}
    {%- else -%}
        {%- set reader = "read_parquet(" ~ sql_string_literal(layout.path) ~ ", union_by_name = true)" -%}
        {%- set file_columns = {} -%}
        {%- for row in run_query("describe select * from " ~ reader) -%}
            {%- do file_columns.update({row['column_name'] | trim | lower: row['column_name']}) -%}
        {%- endfor -%}
    {%- endif -%}

    {{ return(raw_input_statements(source_node, file_columns, reader, layout.path)) }}
{% endmacro %}


{#-
    The columns named by the header line of a CSV file, as {cleaned name: name as written}. The
    line is read as one text column (a delimiter that never occurs, no quoting), so nothing is
    guessed; an empty file stops the run.

    The profile sets preserve_insertion_order = false, which lets a parallel scan return any
    line first: `limit 1` then gave a data line of a large file about one time in two. With the
    order preserved for this one query, DuckDB guarantees the file's first line, and the scan
    still stops after the first buffers (a few ms on a 1 GB file). The setting is put back as it
    was, so the models keep the profile's value.
-#}
{% macro csv_header_columns(path) %}
    {%- set profile_order = run_query("select current_setting('preserve_insertion_order')").rows[0][0] -%}
    {%- do run_query("set preserve_insertion_order = true") -%}
    {%- set first_line = run_query(
        "select header_line from read_csv(" ~ sql_string_literal(path)
        ~ ", header = false, auto_detect = false, delim = '\x1f', quote = '', escape = ''"
        ~ ", columns = {'header_line': 'VARCHAR'}) limit 1"
    ) -%}
    {%- do run_query("set preserve_insertion_order = " ~ profile_order) -%}
    {%- if first_line.rows | length == 0 or first_line.rows[0][0] is none -%}
        {{ exceptions.raise_compiler_error("raw input error: " ~ path ~ " is empty (expected a header row)") }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for name in first_line.rows[0][0].lstrip('\ufeff').split(',') -%}
        {%- set name = name | trim | replace('"', '') -%}
        {%- do columns.update({name | lower: name}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}


{#- A SQL string literal of a Python string (single quotes doubled). -#}
{% macro sql_string_literal(value) -%}
    {{- "'" ~ (value | string | replace("'", "''")) ~ "'" -}}
{%- endmacro %}


{#-
    The statements that make the `raw` source table `source_node` a view with exactly its declared
    columns, all as text, over `reader` (a relation or table function of the engine) whose
    columns are `file_columns` ({cleaned lower-case name: name as written}). A missing optional
    column reads as null; a missing required one (meta.required) stops the run with one line
    naming `described_as` (the file). Shared by every engine's register_raw_input.
-#}
{% macro raw_input_statements(source_node, file_columns, reader, described_as) %}
    {%- set missing = [] -%}
    {%- set select_list = [] -%}
    {%- for column in source_node.columns.values() -%}
        {%- if column.name in file_columns -%}
            {%- do select_list.append(
                "cast(" ~ adapter.quote(file_columns[column.name]) ~ " as " ~ dbt.type_string() ~ ") as " ~ column.name
            ) -%}
        {%- elif column.config.meta.get('required', false) -%}
            {%- do missing.append(column.name) -%}
        {%- else -%}
            {%- do select_list.append("cast(null as " ~ dbt.type_string() ~ ") as " ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "raw input error: " ~ described_as ~ " has no column " ~ (missing | join(', '))
            ~ " (required for " ~ source_node.name ~ ", docs/definitions.md §2)"
        ) }}
    {%- endif -%}

    {%- set view = api.Relation.create(
        database=source_node.database, schema=source_node.schema, identifier=source_node.identifier
    ) -%}
    {%- set existing = adapter.get_relation(
        database=view.database, schema=view.schema, identifier=view.identifier
    ) -%}
    {%- if existing is not none and existing.type != 'view' -%}
        {#- The demo seed table of an earlier run has the same name. -#}
        {%- do adapter.drop_relation(existing) -%}
    {%- endif -%}
    {{ log("raw input: " ~ view ~ " reads " ~ described_as, info=true) }}
    {#- without the database: Postgres does not accept it in create schema -#}
    {{ return([
        "create schema if not exists " ~ view.without_identifier().include(database=false),
        "create or replace view " ~ view ~ " as select " ~ (select_list | join(', ')) ~ " from " ~ reader,
    ]) }}
{% endmacro %}
