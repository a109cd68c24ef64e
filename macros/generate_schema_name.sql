{#-
    Schemas are named exactly as configured (staging, intermediate, marts, audit, seeds, raw)
    instead of dbt's default <target_schema>_<custom_schema>: BI tools and the docs refer to
    `marts.dim_customers`, whatever the target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
