{#-
    The load date (docs/definitions.md §3, §5; docs/decisions.md #64): the var `load_date`, by
    default the UTC date the run started. A timestamp dated more than one day after it is
    quarantined as `future_timestamp`, the default as_of never passes it, and an explicit as_of
    after it is refused. Computed at compile time, so that the SQL holds plain date literals on
    every engine.
-#}

{#- The load date as YYYY-MM-DD text; stops the run when the var is not a date. -#}
{% macro load_date_text() -%}
    {%- set given = var('load_date', none) -%}
    {%- if given is none -%}
        {{ return(run_started_at.astimezone(modules.pytz.utc).strftime('%Y-%m-%d')) }}
    {%- endif -%}
    {%- set text = given | string | trim -%}
    {%- if not is_iso_date(text) -%}
        {{ exceptions.raise_compiler_error(
            "load_date must be a date in YYYY-MM-DD form, got '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{#- True for a YYYY-MM-DD date that exists (also the check of date vars, check_vars.sql); checked
    by hand, as Jinja cannot catch strptime's error. -#}
{% macro is_iso_date(text) -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set year, month, day = text.split('-') | map('int') | list -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if month == 12 -%}
        {{ return(day <= 31) }}
    {%- endif -%}
    {%- set next_month = modules.datetime.date(year, month + 1, 1) -%}
    {{ return(day <= (next_month - modules.datetime.timedelta(days=1)).day) }}
{%- endmacro %}


{#- The last UTC date a usable timestamp may have: the load date plus one day (clock skew). -#}
{% macro latest_accepted_day() -%}
    {%- set load_day = modules.datetime.datetime.strptime(load_date_text(), '%Y-%m-%d').date() -%}
    {%- set next_day = load_day + modules.datetime.timedelta(days=1) if load_day < modules.datetime.date.max else load_day -%}
    cast('{{ next_day.isoformat() }}' as date)
{%- endmacro %}


{#- The load date as a SQL date. -#}
{% macro load_date() -%}
    cast('{{ load_date_text() }}' as date)
{%- endmacro %}


{#-
    An explicit as_of after the load date describes a day whose data cannot have been loaded:
    stop before anything is built rather than publish marts that call every buyer lapsed.
-#}
{% macro assert_as_of_not_after_load_date() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is not none -%}
        {%- set as_of_text = as_of | string | trim -%}
        {%- set load_date_value = load_date_text() -%}
        {#- only comparable as text in this form; other values fail the cast to date -#}
        {%- if is_iso_date(as_of_text) and as_of_text > load_date_value -%}
            {{ exceptions.raise_compiler_error(
                "as_of " ~ as_of_text ~ " is after the load date " ~ load_date_value
                ~ ": rows dated after the load date are not loaded yet (quarantined as "
                ~ "future_timestamp); give an as_of on or before it, or set load_date"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
