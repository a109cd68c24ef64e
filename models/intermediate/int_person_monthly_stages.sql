-- Per person and change month of int_person_monthly_states, the highest lifecycle stage observed
-- as of that month's end and the latest advocacy touchpoint that counts for the customer type
-- (docs/definitions.md §4-5, decisions #29): the rules of macros/lifecycle_stages.sql applied to
-- the month's facts, as int_stage_observations applies them as of as_of. Only whether a stage was
-- observed matters here, so each stage's touchpoints are judged by the latest one so far: one at
-- or after the first valid purchase exists exactly when the latest one is.
with

states as (
    select
        person_id,
        change_month,
        valid_order_count,
        backed_out_orders,
        first_order_at
    from {{ ref('int_person_monthly_states') }}
),

touchpoints as (
    select
        person_id,
        occurred_at,
        lifecycle_stage,
        {{ month_start('attributed_from_date') }} as attributed_from_month
    from {{ ref('int_touchpoints_attributed_over_time') }}
    where lifecycle_stage is not null
),

stages as (
    select
        lifecycle_stage,
        stage_rank,
        observed_by_touchpoint,
        observed_by_valid_purchase,
        observed_by_backed_out_order
    from {{ ref('lifecycle_stages') }}
),

stage_touch_months as (
    -- per person, stage and month, the latest touchpoint of the stage that comes to the person
    select
        touchpoints.person_id,
        touchpoints.attributed_from_month as touch_month,
        stages.lifecycle_stage,
        stages.stage_rank,
        stages.observed_by_touchpoint,
        max(touchpoints.occurred_at) as last_touch_at
    from touchpoints
    inner join stages
        on touchpoints.lifecycle_stage = stages.lifecycle_stage
    group by
        touchpoints.person_id,
        touchpoints.attributed_from_month,
        stages.lifecycle_stage,
        stages.stage_rank,
        stages.observed_by_touchpoint
),

stage_touch_runs as (
    -- the latest touchpoint of each stage so far, valid until the stage's next touch month
    select
        person_id,
        touch_month,
        lead(touch_month) over (
            partition by person_id, stage_rank
            order by touch_month asc
        ) as next_touch_month,
        lifecycle_stage,
        stage_rank,
        observed_by_touchpoint,
        max(last_touch_at) over (
            partition by person_id, stage_rank
            order by touch_month asc
            rows between unbounded preceding and current row
        ) as last_touch_at
    from stage_touch_months
),

touchpoint_observations as (
    select
        states.person_id,
        states.change_month,
        stage_touch_runs.lifecycle_stage,
        stage_touch_runs.stage_rank,
        stage_touch_runs.last_touch_at
    from states
    inner join stage_touch_runs
        on
            states.person_id = stage_touch_runs.person_id
            and states.change_month >= stage_touch_runs.touch_month
            and (
                stage_touch_runs.next_touch_month is null
                or states.change_month < stage_touch_runs.next_touch_month
            )
    where
        {{ touchpoint_observes_stage(
            'stage_touch_runs.observed_by_touchpoint', 'stage_touch_runs.last_touch_at', 'states.first_order_at'
        ) }}
),

order_observations as (
    select
        states.person_id,
        states.change_month,
        stages.stage_rank
    from states
    inner join stages
        on {{ orders_observe_stage(
            'stages.observed_by_valid_purchase',
            'stages.observed_by_backed_out_order',
            'states.valid_order_count',
            'states.backed_out_orders',
        ) }}
),

observations as (
    select
        person_id,
        change_month,
        stage_rank
    from touchpoint_observations
    union all
    select
        person_id,
        change_month,
        stage_rank
    from order_observations
),

highest_stages as (
    -- stages only go forward: the highest stage observed is the current one (definitions §4)
    select
        person_id,
        change_month,
        max(stage_rank) as stage_rank
    from observations
    group by
        person_id,
        change_month
),

latest_advocacy as (
    select
        person_id,
        change_month,
        max(last_touch_at) as last_advocacy_at
    from touchpoint_observations
    where lifecycle_stage = {{ loyal_type_stage() }}
    group by
        person_id,
        change_month
),

final as (
    select
        states.person_id,
        states.change_month,
        stages.lifecycle_stage,
        latest_advocacy.last_advocacy_at
    from states
    left join highest_stages
        on
            states.person_id = highest_stages.person_id
            and states.change_month = highest_stages.change_month
    left join stages
        on highest_stages.stage_rank = stages.stage_rank
    left join latest_advocacy
        on
            states.person_id = latest_advocacy.person_id
            and states.change_month = latest_advocacy.change_month
)

select * from final
