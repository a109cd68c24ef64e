-- Each person has exactly one type: the persons of the summary add up to dim_customers and the
-- shares of the five types to 1 (audit.customer_type_totals computes both).
select
    persons_in_summary,
    persons_in_dim_customers,
    share_of_persons_total
from {{ ref('customer_type_totals') }}
where
    persons_in_summary != persons_in_dim_customers
    or abs(share_of_persons_total - 1) > 1e-9
