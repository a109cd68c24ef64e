-- Per person, one row for each calendar month in which anything about them changed as of that
-- month's end: the order facts definitions §4-5 rest on and whether the person exists, valid from
-- that month until next_change_month (decisions #29); int_person_monthly_stages adds the stage.
-- Changes are additive deltas (an order version starts or stops being the kept one, a touchpoint
-- starts or stops belonging to the person) summed over time; only the first and last valid
-- purchase are not running values (a later refund can remove either), so they are looked up at
-- the change months alone.
with

order_versions as (
    select
        person_id,
        ordered_at,
        amount,
        is_valid_purchase,
        {{ month_start('kept_from_date') }} as kept_from_month,
        {{ month_start('kept_until_date') }} as kept_until_month
    from {{ ref('int_orders_kept_over_time') }}
),

touchpoints as (
    select
        person_id,
        {{ month_start('attributed_from_date') }} as attributed_from_month,
        {{ month_start('attributed_until_date') }} as attributed_until_month
    from {{ ref('int_touchpoints_attributed_over_time') }}
),

order_changes as (
    select
        person_id,
        kept_from_month as change_month,
        1 as kept_orders_delta,
        case when is_valid_purchase then 1 else 0 end as valid_orders_delta,
        case when is_valid_purchase then amount else 0 end as revenue_delta,
        case when is_valid_purchase then 0 else 1 end as backed_out_orders_delta
    from order_versions
    union all
    select
        person_id,
        kept_until_month as change_month,
        -1 as kept_orders_delta,
        case when is_valid_purchase then -1 else 0 end as valid_orders_delta,
        case when is_valid_purchase then -amount else 0 end as revenue_delta,
        case when is_valid_purchase then 0 else -1 end as backed_out_orders_delta
    from order_versions
    where kept_until_month is not null
),

touchpoint_changes as (
    select
        person_id,
        attributed_from_month as change_month,
        1 as touchpoints_delta
    from touchpoints
    union all
    -- an anonymous person's touchpoints move to the customer: the person ceases to exist
    select
        person_id,
        attributed_until_month as change_month,
        -1 as touchpoints_delta
    from touchpoints
    where attributed_until_month is not null
),

changes as (
    select
        person_id,
        change_month,
        kept_orders_delta,
        valid_orders_delta,
        revenue_delta,
        backed_out_orders_delta,
        0 as touchpoints_delta
    from order_changes
    union all
    select
        person_id,
        change_month,
        0 as kept_orders_delta,
        0 as valid_orders_delta,
        0 as revenue_delta,
        0 as backed_out_orders_delta,
        touchpoints_delta
    from touchpoint_changes
),

monthly_changes as (
    select
        person_id,
        change_month,
        sum(kept_orders_delta) as kept_orders_delta,
        sum(valid_orders_delta) as valid_orders_delta,
        sum(revenue_delta) as revenue_delta,
        sum(backed_out_orders_delta) as backed_out_orders_delta,
        sum(touchpoints_delta) as touchpoints_delta
    from changes
    group by
        person_id,
        change_month
),

running as (
    select
        person_id,
        change_month,
        lead(change_month) over (
            partition by person_id
            order by change_month asc
        ) as next_change_month,
        sum(kept_orders_delta) over (
            partition by person_id
            order by change_month asc
            rows between unbounded preceding and current row
        ) as kept_orders,
        sum(valid_orders_delta) over (
            partition by person_id
            order by change_month asc
            rows between unbounded preceding and current row
        ) as valid_order_count,
        -- the type DuckDB's sum gives; Postgres' sum of a decimal drops the declared scale
        cast(
            sum(revenue_delta) over (
                partition by person_id
                order by change_month asc
                rows between unbounded preceding and current row
            ) as decimal(38, 2)
        ) as lifetime_revenue,
        sum(backed_out_orders_delta) over (
            partition by person_id
            order by change_month asc
            rows between unbounded preceding and current row
        ) as backed_out_orders,
        sum(touchpoints_delta) over (
            partition by person_id
            order by change_month asc
            rows between unbounded preceding and current row
        ) as touchpoints
    from monthly_changes
),

valid_purchase_bounds as (
    select
        running.person_id,
        running.change_month,
        min(order_versions.ordered_at) as first_order_at,
        max(order_versions.ordered_at) as last_order_at
    from running
    inner join order_versions
        on
            running.person_id = order_versions.person_id
            and running.change_month >= order_versions.kept_from_month
            and (
                order_versions.kept_until_month is null
                or running.change_month < order_versions.kept_until_month
            )
    where order_versions.is_valid_purchase
    group by
        running.person_id,
        running.change_month
),

final as (
    select
        running.person_id,
        running.change_month,
        running.next_change_month,
        running.kept_orders > 0 or running.touchpoints > 0 as is_present,
        running.valid_order_count,
        running.lifetime_revenue,
        running.backed_out_orders,
        valid_purchase_bounds.first_order_at,
        valid_purchase_bounds.last_order_at
    from running
    left join valid_purchase_bounds
        on
            running.person_id = valid_purchase_bounds.person_id
            and running.change_month = valid_purchase_bounds.change_month
)

select * from final
