{#-
    docs/definitions.md §2: a status that is not one of the six goes through the seed
    order_status_map (raw status -> one of the six); a status in neither is null here, which staging
    quarantines as unknown_status. The six always map to themselves, whatever the seed says.

    Staging joins nothing (house style), so the seed is read when the model is compiled and
    written into the SQL as one CASE. A model calling this needs the line
    `-- depends_on: {{ ref('order_status_map') }}` so that dbt builds the seed first.
-#}
{% macro normalised_order_status(column_name) -%}
    {%- set map_relation = ref('order_status_map') -%}
    {%- if execute and model.resource_type == 'unit_test' -%}
        {#- A unit test's fixture rows are a CTE of the test query, not a table the compiler can
            read: there the same lookup is written as a subquery on that CTE. -#}
        coalesce(
            {{ order_status_case(column_name) }},
            (
                -- renamed so that the outer query's `status` is not taken for the map's
                select max(status_map.mapped_status)
                from (
                    select
                        raw_status as mapped_raw_status,
                        status as mapped_status
                    from {{ map_relation }}
                ) as status_map
                where status_map.mapped_raw_status = {{ column_name }}
            )
        )
    {%- else -%}
        {{ order_status_case(column_name, order_status_map_pairs(map_relation)) }}
    {%- endif -%}
{%- endmacro %}

{#- The six map to themselves and win over any row of pairs, (raw_status, status) tuples. -#}
{% macro order_status_case(column_name, pairs=[]) -%}
    case {{ column_name }}
    {%- for status in order_statuses() %}
        when '{{ status }}' then '{{ status }}'
    {%- endfor %}
    {%- for raw_status, status in pairs if raw_status not in order_statuses() %}
        when '{{ dbt.escape_single_quotes(raw_status) }}' then '{{ dbt.escape_single_quotes(status) }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- The seed's (raw_status, status) rows; none while dbt parses. -#}
{% macro order_status_map_pairs(map_relation) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if load_relation(map_relation) is none -%}
        {#- Only a run needs the data; compiling for the linter or the docs on a warehouse
            without seeds renders the six alone. -#}
        {%- if flags.WHICH in ('run', 'build', 'test', 'retry') -%}
            {{ exceptions.raise_compiler_error(
                "The seed order_status_map is not loaded (" ~ map_relation ~ "): run `dbt seed` first."
            ) }}
        {%- endif -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query(
        "select raw_status, status from " ~ map_relation ~ " where raw_status is not null order by raw_status"
    ) -%}
    {{ return(result.rows | map('list') | list) }}
{%- endmacro %}
