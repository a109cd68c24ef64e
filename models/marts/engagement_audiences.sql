-- One row per person and recommended action (docs/decisions.md #28): the playbook seed's actions
-- for the person's customer type as of as_of. Actions on a channel that needs a customer_id
-- (email, support) are not recommended for anonymous persons.
with

customers as (
    select
        person_id,
        customer_id,
        customer_type,
        lifecycle_stage,
        valid_order_count,
        days_since_last_order,
        as_of_date
    from {{ ref('dim_customers') }}
),

customer_types as (
    select
        person_id,
        days_since_last_advocacy
    from {{ ref('int_customer_types') }}
),

playbook as (
    select
        customer_type,
        action_code,
        channel,
        requires_customer_id
    from {{ ref('customer_type_playbook') }}
),

reason_parts as (
    select
        customers.person_id,
        customers.customer_type,
        case
            when customers.valid_order_count = 0
                then {{ dbt.concat([
                    "'no valid purchase; furthest stage: '",
                    "coalesce(customers.lifecycle_stage, 'none')",
                ]) }}
            else {{ dbt.concat([
                "'valid purchases: '",
                "cast(customers.valid_order_count as " ~ dbt.type_string() ~ ")",
                "'; days since the last: '",
                "cast(customers.days_since_last_order as " ~ dbt.type_string() ~ ")",
            ]) }}
        end as purchase_facts,
        case customers.customer_type
            when 'loyal'
                then {{ dbt.concat([
                    "'; days since the last advocacy: '",
                    "cast(customer_types.days_since_last_advocacy as " ~ dbt.type_string() ~ ")",
                ]) }}
            when 'lapsed' then '; lapsed after {{ var("lapsed_after_days") }} days'
            else ''
        end as type_facts
    from customers
    left join customer_types
        on customers.person_id = customer_types.person_id
),

reasons as (
    -- the facts the customer type rests on (docs/definitions.md §5), in words a marketer can read
    select
        person_id,
        {{ dbt.concat(["customer_type", "': '", "purchase_facts", "type_facts"]) }} as reason
    from reason_parts
),

final as (
    select
        cast(customers.person_id as {{ dbt.type_string() }}) as person_id,
        cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customers.customer_type as {{ dbt.type_string() }}) as customer_type,
        -- the marketing tools' field name (issue 6), although `action` is a keyword in some dialects
        cast(playbook.action_code as {{ dbt.type_string() }}) as action,  -- noqa: RF04
        cast(playbook.channel as {{ dbt.type_string() }}) as channel,
        cast(reasons.reason as {{ dbt.type_string() }}) as reason,
        customers.as_of_date
    from customers
    inner join playbook
        on customers.customer_type = playbook.customer_type
    inner join reasons
        on customers.person_id = reasons.person_id
    where customers.customer_id is not null or not playbook.requires_customer_id
)

select * from final
