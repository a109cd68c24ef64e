{#- The marts whose volume is checked (docs/definitions.md §6); their keys are dbt tests. -#}
{%- set marts = [
    'dim_customers', 'customer_lifecycle_stages', 'fct_orders', 'fct_touchpoints',
    'lifecycle_funnel', 'customer_type_summary',
] %}
-- Volume profile of each mart, for the data-quality suites: aggregates stay in the
-- warehouse, whatever the size of the marts. Each mart's volume is compared with the inputs it is
-- built from (docs/decisions.md #65), so that an empty orders or touchpoints file
-- (docs/definitions.md §2) does not make the other input's marts look wrong.
with

reconciliation as (
    select
        raw_table,
        kept_rows
    from {{ ref('row_reconciliation') }}
),

stage_observations as (
    select
        person_id,
        stage_rank
    from {{ ref('int_stage_observations') }}
),

profiles as (
    {%- for mart_name in marts %}
        select
            '{{ mart_name }}' as mart_name,
            count(*) as row_count
        from {{ ref(mart_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

kept as (
    select
        coalesce(sum(case when raw_table = 'orders' then kept_rows end), 0) as kept_orders,
        coalesce(sum(case when raw_table = 'touchpoints' then kept_rows end), 0) as kept_touchpoints
    from reconciliation
),

person_reach as (
    -- a person who reached stage k has a row per stage 1..k (docs/definitions.md §4: monotone)
    select max(stage_rank) as current_stage_rank
    from stage_observations
    group by person_id
),

staged as (
    select
        coalesce(sum(current_stage_rank), 0) as entered_stages,
        count(*) as staged_persons
    from person_reach
),

bounds as (
    select
        'dim_customers' as mart_name,
        case when kept_orders + kept_touchpoints > 0 then 1 else 0 end as min_expected_rows,
        -- every person comes from at least one kept row
        kept_orders + kept_touchpoints as max_expected_rows,
        'a person per kept order or touchpoint, at least one when any is kept' as expected_from,
        {{ dbt.concat([
            "'orders and touchpoints have '",
            counted('kept_orders + kept_touchpoints', 'kept row', 'kept rows'),
        ]) }} as inputs_in_words
    from kept
    union all
    select
        'customer_lifecycle_stages' as mart_name,
        entered_stages as min_expected_rows,
        entered_stages as max_expected_rows,
        'each person with a stage: one row per stage up to the highest one reached' as expected_from,
        {{ dbt.concat([
            counted('staged_persons', 'person', 'persons'),
            "case when staged_persons = 1 then ' has reached a stage' else ' have reached a stage' end",
        ]) }} as inputs_in_words
    from staged
    union all
    select
        'fct_orders' as mart_name,
        kept_orders as min_expected_rows,
        kept_orders as max_expected_rows,
        'one row per kept order' as expected_from,
        {{ dbt.concat(["'orders has '", counted('kept_orders', 'kept row', 'kept rows')]) }} as inputs_in_words
    from kept
    union all
    select
        'fct_touchpoints' as mart_name,
        kept_touchpoints as min_expected_rows,
        kept_touchpoints as max_expected_rows,
        'one row per kept touchpoint' as expected_from,
        {{ dbt.concat([
            "'touchpoints has '", counted('kept_touchpoints', 'kept row', 'kept rows'),
        ]) }} as inputs_in_words
    from kept
    union all
    select
        'lifecycle_funnel' as mart_name,
        7 as min_expected_rows,
        7 as max_expected_rows,
        'one row per lifecycle stage, always' as expected_from,
        cast(null as {{ dbt.type_string() }}) as inputs_in_words
    union all
    select
        'customer_type_summary' as mart_name,
        5 as min_expected_rows,
        5 as max_expected_rows,
        'one row per customer type, always' as expected_from,
        cast(null as {{ dbt.type_string() }}) as inputs_in_words
),

compared as (
    select
        profiles.mart_name,
        profiles.row_count,
        bounds.min_expected_rows,
        bounds.max_expected_rows,
        bounds.expected_from,
        bounds.inputs_in_words,
        profiles.row_count between bounds.min_expected_rows and bounds.max_expected_rows as is_volume_expected,
        {{ counted('profiles.row_count', 'row', 'rows') }} as row_count_text,
        case
            when bounds.min_expected_rows = bounds.max_expected_rows
                then {{ format_count('bounds.min_expected_rows') }}
            else {{ dbt.concat([
                format_count('bounds.min_expected_rows'),
                "' to '",
                format_count('bounds.max_expected_rows'),
            ]) }}
        end as expected_rows_text
    from profiles
    inner join bounds
        on profiles.mart_name = bounds.mart_name
),

final as (
    select
        cast(mart_name as {{ dbt.type_string() }}) as mart_name,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count,
        cast(min_expected_rows as {{ dbt.type_bigint() }}) as min_expected_rows,
        cast(max_expected_rows as {{ dbt.type_bigint() }}) as max_expected_rows,
        cast(expected_from as {{ dbt.type_string() }}) as expected_from,
        -- in words, for the failing line of the suite: what was seen against what was expected,
        -- counts written for people (1,204); an empty mart says what it should have come from
        cast(
            case
                when is_volume_expected then null
                when row_count = 0 and inputs_in_words is not null
                    then {{ dbt.concat(["mart_name", "' is empty although '", "inputs_in_words"]) }}
                else {{ dbt.concat([
                    "mart_name",
                    "' has '",
                    "row_count_text",
                    "', expected '",
                    "expected_rows_text",
                    "': '",
                    "expected_from",
                ]) }}
            end as {{ dbt.type_string() }}
        ) as volume_problem
    from compared
)

select * from final
