-- Every order version with the as-of dates for which it is the order's kept version (definitions §3
-- applied at every date up to as_of, decisions #29): a version exists from the later UTC date
-- of its ordered_at and updated_at, and is kept until a higher-ranked version exists. A refund
-- written later ends the paid version's range on the refund's date and does not change the past.
with

versions as (
    select
        order_id,
        customer_id,
        ordered_at,
        updated_at,
        status,
        amount,
        version_recency
    from {{ ref('int_orders_versioned') }}
    where row_disposition in ('kept', 'collapsed')
),

dated as (
    select
        *,
        greatest(cast(ordered_at as date), cast(updated_at as date)) as exists_from_date
    from versions
),

ranged as (
    select
        *,
        -- the first date on which any higher-ranked version of the order exists
        min(exists_from_date) over (
            partition by order_id
            order by version_recency asc
            rows between unbounded preceding and 1 preceding
        ) as superseded_from_date
    from dated
),

final as (
    select
        order_id,
        customer_id as person_id,
        ordered_at,
        status,
        amount,
        {{ is_valid_purchase_status('status') }} as is_valid_purchase,
        exists_from_date as kept_from_date,
        superseded_from_date as kept_until_date
    from ranged
    -- a version superseded before (or on the day) it exists is never the kept one
    where superseded_from_date is null or exists_from_date < superseded_from_date
)

select * from final
