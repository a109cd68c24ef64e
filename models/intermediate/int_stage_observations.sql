-- Per person and stage, when the stage was first observed (docs/definitions.md §4), before monotone
-- filling: stages 1-4 from touchpoints (and decision from a cancelled or refunded order), purchase
-- from the first valid purchase, loyalty and advocacy only at or after the first valid purchase.
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
        stage_rank
    from {{ ref('lifecycle_stages') }}
),

first_purchases as (
    select
        person_id,
        ordered_at as first_purchase_at
    from orders
    where purchase_number = 1
),

pre_purchase_touches as (
    select
        person_id,
        lifecycle_stage,
        occurred_at as observed_at
    from touchpoints
    where lifecycle_stage in ('awareness', 'interest', 'consideration', 'decision')
),

backed_out_orders as (
    -- the person decided, then backed out
    select
        person_id,
        'decision' as lifecycle_stage,
        ordered_at as observed_at
    from orders
    where not is_valid_purchase
),

purchases as (
    select
        person_id,
        case purchase_number when 1 then 'purchase' else 'loyalty' end as lifecycle_stage,
        ordered_at as observed_at
    from orders
    where purchase_number in (1, 2)
),

post_purchase_touches as (
    -- loyalty and advocacy touchpoints before the first valid purchase are ignored
    select
        touchpoints.person_id,
        touchpoints.lifecycle_stage,
        touchpoints.occurred_at as observed_at
    from touchpoints
    inner join first_purchases
        on
            touchpoints.person_id = first_purchases.person_id
            and touchpoints.occurred_at >= first_purchases.first_purchase_at
    where touchpoints.lifecycle_stage in ('loyalty', 'advocacy')
),

observations as (
    select * from pre_purchase_touches
    union all
    select * from backed_out_orders
    union all
    select * from purchases
    union all
    select * from post_purchase_touches
),

final as (
    select
        observations.person_id,
        observations.lifecycle_stage,
        stages.stage_rank,
        min(observations.observed_at) as observed_at
    from observations
    inner join stages
        on observations.lifecycle_stage = stages.lifecycle_stage
    group by
        observations.person_id,
        observations.lifecycle_stage,
        stages.stage_rank
)

select * from final
