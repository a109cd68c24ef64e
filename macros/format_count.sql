{#-
    A count as text for people, with thousands separators (1204 -> '1,204'), for the sentences
    of the audit models (mart_profiles.volume_problem) that the data-quality suites print as
    they are. Each engine spells it differently.
    Engines: duckdb (default), postgres and spark (macros/engines/).
-#}
{% macro format_count(expression) -%}
    {{ return(adapter.dispatch('format_count', 'customer_lifecycle')(expression)) }}
{%- endmacro %}

{% macro default__format_count(expression) -%}
    format('{:,}', cast({{ expression }} as bigint))
{%- endmacro %}

{#- A count and its noun, for people: '1 kept row', '1,204 kept rows'. -#}
{% macro counted(expression, singular, plural) -%}
    {{ dbt.concat([
        format_count(expression),
        "case when " ~ expression ~ " = 1 then ' " ~ singular ~ "' else ' " ~ plural ~ "' end",
    ]) }}
{%- endmacro %}
