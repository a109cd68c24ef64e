{#-
    The dbt vars this project reads, declared once (docs/decisions.md #58). `declared_vars()` is
    plain YAML: the on-run-start hook `check_vars()` below reads it with fromyaml, and
    scripts/dbt_vars.py reads the same text from this file, so the pipeline refuses a bad var
    before anything runs and the README's settings table is rendered from it.

    Per var: type (integer, number, date, path, text, boolean, files: a mapping of raw table to a
    file path, or to {format, path}), min/max (inclusive), nullable,
    default (equal to dbt_project.yml vars), default_text (the README's wording when the default
    needs words), internal (set by the pipeline, not by users), pattern (text only), meaning.
    Keep it free of Jinja.
-#}
{% macro declared_vars() -%}
as_of:
  type: date
  nullable: true
  default: null
  default_text: "latest UTC date among kept rows, at most the load date (decisions #8, #64)"
  meaning: the date every mart describes; later rows are ignored; an as_of after the load date is refused
load_date:
  type: date
  nullable: true
  default: null
  default_text: the run's UTC date
  meaning: UTC date the run loads data on; timestamps more than one day after it are quarantined as future_timestamp
raw_dir:
  type: path
  nullable: true
  default: null
  default_text: none (demo seeds)
  meaning: folder of raw files (scripts/run_pipeline.py --raw-dir finds the files in it and passes them to dbt as raw_inputs)
raw_inputs:
  type: files
  nullable: true
  default: null
  default_text: none (demo seeds)
  internal: true
  meaning: "the raw files dbt reads, by table: {orders: <file>, touchpoints: <file>}, each a .csv, a .parquet or a glob of .parquet parts; the pipeline sets it from --raw-dir, with dbt alone give it"
lapsed_after_days:
  type: integer
  min: 1
  max: 36500
  nullable: false
  default: 180
  meaning: more whole days than this since the last valid purchase → lapsed
regular_min_orders:
  type: integer
  min: 2
  max: 1000000
  nullable: false
  default: 2
  meaning: fewer valid purchases than this → new
advocacy_window_days:
  type: integer
  min: 1
  max: 36500
  nullable: false
  default: 365
  meaning: an advocacy touchpoint at most this many days back (and after the first purchase) → loyal
quarantine_warn_rate:
  type: number
  min: 0
  max: 1
  nullable: false
  default: 0.01
  meaning: share of a raw table's rows quarantined above which the raw_quality suite warns (at most quarantine_fail_rate)
quarantine_fail_rate:
  type: number
  min: 0
  max: 1
  nullable: false
  default: 0.1
  meaning: share of a raw table's rows quarantined above which the raw_quality suite fails
calendar_max_months:
  type: integer
  min: 1
  max: 12000
  nullable: false
  default: 1200
  meaning: longest span of months the monthly marts cover (a test fails beyond it)
history_reprocess_months:
  type: integer
  min: 1
  max: 1200
  nullable: false
  default: 1
  meaning: latest stored months of `customer_type_history` an incremental run recomputes
incremental_lookback_days:
  type: integer
  min: 0
  max: 36500
  nullable: false
  default: 3
  meaning: incremental runs re-read raw rows dated this many days before the latest day already loaded (see Incremental runs)
schema_suffix:
  type: text
  pattern: "^[a-z0-9_]*$"
  nullable: false
  default: ""
  default_text: "\"\" (none)"
  internal: true
  meaning: "internal: appended to every schema name; the pipeline sets it on Postgres and Spark (versioned builds)"
{%- endmacro %}


{#-
    on-run-start hook, before any other: stops `dbt build --vars ...` (and seed, run, test) with
    one line naming the var, its value and what is allowed, before anything is built. dbt's own
    var() ignores unknown names, so the names passed with --vars are checked against the
    declaration too (with the closest declared name, by shared prefix and suffix).
-#}
{% macro check_vars() %}
    {%- if execute -%}
        {%- set declared = fromyaml(declared_vars()) -%}
        {%- set passed = invocation_args_dict.get('vars') or {} -%}
        {%- if passed is string -%}
            {%- set passed = fromyaml(passed) or {} -%}
        {%- endif -%}
        {%- for name in passed if name not in declared -%}
            {{ exceptions.raise_compiler_error(
                "unknown var " ~ name ~ " (did you mean " ~ closest_var_name(name, declared) ~ "?)"
            ) }}
        {%- endfor -%}
        {%- for name, spec in declared.items() -%}
            {%- set value = var(name, spec['default']) -%}
            {%- set problem = var_problem(value, spec) | trim -%}
            {%- if problem -%}
                {{ exceptions.raise_compiler_error(
                    "var " ~ name ~ "=" ~ tojson(value, value | string) ~ ": " ~ problem
                ) }}
            {%- endif -%}
        {%- endfor -%}
        {%- if var('quarantine_warn_rate') > var('quarantine_fail_rate') -%}
            {{ exceptions.raise_compiler_error(
                "var quarantine_warn_rate=" ~ var('quarantine_warn_rate')
                ~ ": must be at most quarantine_fail_rate (" ~ var('quarantine_fail_rate') ~ ")"
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#- What is wrong with a var's value, or '' when it is allowed (same rules as scripts/dbt_vars.py). -#}
{% macro var_problem(value, spec) %}
    {%- set expected = var_expectation(spec) -%}
    {%- if value is none -%}
        {{- '' if spec.get('nullable') else 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'integer' and not (value is integer) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'number' and (value is boolean or not (value is number)) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'boolean' and not (value is boolean) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] in ('text', 'path') and not (value is string) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'path' and value | trim == '' -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'files' and not (value is mapping) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'files' and value.values() | reject('string') | rejectattr('path', 'string') | list -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'text' and spec.get('pattern') and not modules.re.search(spec['pattern'], value) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] == 'date' and not is_iso_date(value | string) -%}
        {{- 'expected ' ~ expected -}}
    {%- elif spec['type'] in ('integer', 'number') and (
        (spec.get('min') is not none and value < spec['min'])
        or (spec.get('max') is not none and value > spec['max'])
    ) -%}
        {{- 'expected ' ~ expected -}}
    {%- endif -%}
{% endmacro %}


{#- "an integer from 1 to 36500", "a date (YYYY-MM-DD) or null", ... -#}
{% macro var_expectation(spec) %}
    {%- set kinds = {
        'integer': 'an integer', 'number': 'a number', 'date': 'a date (YYYY-MM-DD)',
        'path': 'a folder path', 'text': 'a text', 'boolean': 'true or false',
        'files': 'a mapping of raw table to file path',
    } -%}
    {%- set words = [kinds[spec['type']]] -%}
    {%- if spec.get('min') is not none and spec.get('max') is not none -%}
        {%- do words.append('from ' ~ spec['min'] ~ ' to ' ~ spec['max']) -%}
    {%- elif spec.get('min') is not none -%}
        {%- do words.append('>= ' ~ spec['min']) -%}
    {%- endif -%}
    {%- if spec.get('pattern') -%}
        {%- do words.append('matching ' ~ spec['pattern']) -%}
    {%- endif -%}
    {%- if spec.get('nullable') -%}
        {%- do words.append('or null') -%}
    {%- endif -%}
    {{- words | join(' ') -}}
{% endmacro %}

{#- The declared name closest to an unknown one: the most characters shared at both ends. -#}
{% macro closest_var_name(name, declared) %}
    {%- set best = {'name': none, 'score': -1} -%}
    {%- for candidate in declared -%}
        {%- set shared = namespace(prefix=0, suffix=0) -%}
        {%- for i in range([name | length, candidate | length] | min) -%}
            {%- if name[:i + 1] == candidate[:i + 1] -%}{%- set shared.prefix = i + 1 -%}{%- endif -%}
            {%- if name[-(i + 1):] == candidate[-(i + 1):] -%}{%- set shared.suffix = i + 1 -%}{%- endif -%}
        {%- endfor -%}
        {%- if shared.prefix + shared.suffix > best['score'] -%}
            {%- do best.update({'name': candidate, 'score': shared.prefix + shared.suffix}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- best['name'] -}}
{% endmacro %}
