-- One row per anonymous_id that was ever seen together with a customer_id (docs/definitions.md §3):
-- the customer of its earliest identifying touchpoint (ties: the smallest customer_id).
-- Identification is retroactive: every touchpoint of the anonymous_id belongs to that customer.
with

touchpoints as (
    select
        anonymous_id,
        customer_id,
        occurred_at
    from {{ ref('int_touchpoints_deduplicated') }}
    where
        row_disposition = 'kept'
        and anonymous_id is not null
        and customer_id is not null
),

ranked as (
    select
        anonymous_id,
        customer_id,
        occurred_at,
        row_number() over (
            partition by anonymous_id
            order by occurred_at asc, customer_id asc
        ) as identification_order
    from touchpoints
),

final as (
    select
        anonymous_id,
        customer_id,
        occurred_at as identified_at
    from ranked
    where identification_order = 1
)

select * from final
