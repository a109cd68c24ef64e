{#-
    Schemas are named exactly as configured (staging, intermediate, marts, audit, seeds, raw)
    instead of dbt's default <target_schema>_<custom_schema>: BI tools and the docs refer to
    `marts.dim_customers`, whatever the target.

    The var `schema_suffix` (empty by default) is appended to every schema: on Postgres and Spark
    the pipeline script builds into versioned schemas (`marts__v20261125t101500`, ...) and
    publishes them as views in the plain schemas once every check passed (README "Running at
    scale"). The `raw` source follows the same suffix (_raw__sources.yml).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ var('schema_suffix', '') }}
    {%- endif -%}
{%- endmacro %}
