-- Each person has exactly one type: the shares of the five types add up to 1, and the persons
-- of the summary add up to the persons of dim_customers.
with

summary as (
    select
        sum(share_of_persons) as total_share,
        sum(persons) as summarised_persons
    from {{ ref('customer_type_summary') }}
),

customers as (
    select count(*) as persons
    from {{ ref('dim_customers') }}
)

select
    summary.total_share,
    summary.summarised_persons,
    customers.persons
from summary
cross join customers
where
    summary.summarised_persons != customers.persons
    or (customers.persons > 0 and abs(summary.total_share - 1) > 1e-9)
