-- Every person with a valid purchase is in exactly one cohort, and the cohorts' monthly revenue
-- adds up to the lifetime revenue of dim_customers.
with

cohorts as (
    select
        sum(case when months_since = 0 then cohort_persons else 0 end) as cohort_persons,
        sum(revenue) as revenue
    from {{ ref('cohort_retention') }}
),

customers as (
    select
        sum(case when valid_order_count > 0 then 1 else 0 end) as buyers,
        sum(lifetime_revenue) as lifetime_revenue
    from {{ ref('dim_customers') }}
)

select
    cohorts.cohort_persons,
    customers.buyers,
    cohorts.revenue,
    customers.lifetime_revenue
from cohorts
cross join customers
where
    coalesce(cohorts.cohort_persons, 0) != coalesce(customers.buyers, 0)
    or coalesce(cohorts.revenue, 0) != coalesce(customers.lifetime_revenue, 0)
