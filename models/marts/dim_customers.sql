with

persons as (
    select
        person_id,
        customer_id,
        is_identified,
        first_seen_at,
        acquisition_channel
    from {{ ref('int_persons') }}
),

order_facts as (
    select
        person_id,
        first_order_at,
        last_order_at,
        valid_order_count,
        lifetime_revenue
    from {{ ref('int_person_order_facts') }}
),

customer_types as (
    select
        person_id,
        days_since_last_order,
        customer_type
    from {{ ref('int_customer_types') }}
),

current_stages as (
    select
        person_id,
        lifecycle_stage,
        entered_at
    from {{ ref('int_lifecycle_stages_entered') }}
    where is_current
),

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(persons.person_id as {{ dbt.type_string() }}) as person_id,
        cast(persons.customer_id as {{ dbt.type_string() }}) as customer_id,
        persons.is_identified,
        cast(persons.first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(order_facts.first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
        cast(order_facts.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
        cast(coalesce(order_facts.valid_order_count, 0) as {{ dbt.type_bigint() }}) as valid_order_count,
        cast(coalesce(order_facts.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
        cast(customer_types.days_since_last_order as {{ dbt.type_bigint() }}) as days_since_last_order,
        cast(persons.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(customer_types.customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(current_stages.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(current_stages.entered_at as {{ dbt.type_timestamp() }}) as lifecycle_stage_entered_at,
        as_of.as_of_date
    from persons
    cross join as_of
    left join order_facts
        on persons.person_id = order_facts.person_id
    left join customer_types
        on persons.person_id = customer_types.person_id
    left join current_stages
        on persons.person_id = current_stages.person_id
)

select * from final
