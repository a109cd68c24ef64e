-- Per person and stage, when the stage was first observed (docs/definitions.md §4), before monotone
-- filling: the earliest touchpoint or order that observes it by the rules of
-- macros/lifecycle_stages.sql (which stage each rule applies to: the seed lifecycle_stages).
with

touchpoints as (
    select
        person_id,
        occurred_at,
        lifecycle_stage
    from {{ ref('int_touchpoints_stitched') }}
    where lifecycle_stage is not null
),

orders as (
    select
        person_id,
        ordered_at,
        is_valid_purchase,
        purchase_number
    from {{ ref('int_orders_numbered') }}
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

first_purchases as (
    select
        person_id,
        ordered_at as first_purchase_at
    from orders
    where purchase_number = 1
),

touchpoint_observations as (
    select
        touchpoints.person_id,
        stages.lifecycle_stage,
        stages.stage_rank,
        touchpoints.occurred_at as observed_at
    from touchpoints
    inner join stages
        on touchpoints.lifecycle_stage = stages.lifecycle_stage
    left join first_purchases
        on touchpoints.person_id = first_purchases.person_id
    where
        {{ touchpoint_observes_stage(
            'stages.observed_by_touchpoint', 'touchpoints.occurred_at', 'first_purchases.first_purchase_at'
        ) }}
),

order_observations as (
    -- each order with the counts as of itself: a valid purchase is the person's purchase_number-th,
    -- a cancelled or refunded one is backed out; the earliest matching order is the observation
    select
        orders.person_id,
        stages.lifecycle_stage,
        stages.stage_rank,
        orders.ordered_at as observed_at
    from orders
    inner join stages
        on {{ orders_observe_stage(
            'stages.observed_by_valid_purchase',
            'stages.observed_by_backed_out_order',
            'coalesce(orders.purchase_number, 0)',
            'case when orders.is_valid_purchase then 0 else 1 end',
        ) }}
),

observations as (
    select * from touchpoint_observations
    union all
    select * from order_observations
),

final as (
    select
        person_id,
        lifecycle_stage,
        stage_rank,
        min(observed_at) as observed_at
    from observations
    group by
        person_id,
        lifecycle_stage,
        stage_rank
)

select * from final
