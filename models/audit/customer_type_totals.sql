-- One row: does the type summary add up? Persons of the summary against dim_customers, and the
-- total of the shares (null when there is nobody, so that an empty input is not a failure).
-- The total is cut to 9 decimals: a sum of doubles depends on the order the engine adds them
-- in, and the audit row must be the same for the same data (the check allows 1e-6).
with

summary as (
    select
        persons,
        share_of_persons
    from {{ ref('customer_type_summary') }}
),

customers as (
    select person_id
    from {{ ref('dim_customers') }}
),

totals as (
    select
        (select sum(persons) from summary) as persons_in_summary,
        (select count(*) from customers) as persons_in_dim_customers,
        (
            select cast(sum(share_of_persons) as decimal(18, 9)) from summary
        ) as share_of_persons_total
),

final as (
    select
        cast(persons_in_summary as {{ dbt.type_bigint() }}) as persons_in_summary,
        cast(persons_in_dim_customers as {{ dbt.type_bigint() }}) as persons_in_dim_customers,
        cast(share_of_persons_total as {{ type_double() }}) as share_of_persons_total
    from totals
)

select * from final
