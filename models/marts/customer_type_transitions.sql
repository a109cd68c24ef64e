-- Per month, how many persons moved from each customer type at the previous month's end to each
-- type at this month's (decisions #32): from null = the person appeared this month; to null =
-- the person no longer exists (an anonymous person merged into the customer it was identified
-- as). The kind of each move comes from the seed customer_type_transition_kinds.
with

history as (
    select
        person_id,
        month_start,
        customer_type
    from {{ ref('customer_type_history') }}
),

months as (
    select
        month_start,
        as_of_date
    from {{ ref('int_calendar_months') }}
),

transition_kinds as (
    select
        from_customer_type,
        to_customer_type,
        transition_kind
    from {{ ref('customer_type_transition_kinds') }}
),

stepped as (
    select
        person_id,
        month_start,
        customer_type,
        cast({{ dbt.dateadd('month', '-1', 'month_start') }} as date) as previous_calendar_month,
        cast({{ dbt.dateadd('month', '1', 'month_start') }} as date) as next_calendar_month,
        lag(month_start) over (
            partition by person_id
            order by month_start asc
        ) as previous_month_start,
        lag(customer_type) over (
            partition by person_id
            order by month_start asc
        ) as previous_customer_type,
        lead(month_start) over (
            partition by person_id
            order by month_start asc
        ) as next_month_start
    from history
),

arrivals_and_stays as (
    select
        month_start,
        case
            when previous_month_start = previous_calendar_month then previous_customer_type
        end as from_customer_type,
        customer_type as to_customer_type
    from stepped
),

departures as (
    -- present at one month's end and not at the next one's
    select
        next_calendar_month as month_start,
        customer_type as from_customer_type,
        cast(null as {{ dbt.type_string() }}) as to_customer_type
    from stepped
    where next_month_start is null or next_month_start > next_calendar_month
),

moves as (
    select * from arrivals_and_stays
    union all
    select * from departures
),

counted as (
    select
        month_start,
        from_customer_type,
        to_customer_type,
        count(*) as persons
    from moves
    group by
        month_start,
        from_customer_type,
        to_customer_type
),

previous_type_sizes as (
    -- persons of each type at the previous month's end: the denominator of a move's share
    select
        next_calendar_month as month_start,
        customer_type,
        count(*) as persons
    from stepped
    group by
        next_calendar_month,
        customer_type
),

final as (
    select
        counted.month_start,
        months.as_of_date,
        cast(counted.from_customer_type as {{ dbt.type_string() }}) as from_customer_type,
        cast(counted.to_customer_type as {{ dbt.type_string() }}) as to_customer_type,
        cast(
            case
                when counted.from_customer_type is null then 'appeared'
                when counted.to_customer_type is null then 'merged'
                else transition_kinds.transition_kind
            end as {{ dbt.type_string() }}
        ) as transition_kind,
        cast(counted.persons as {{ dbt.type_bigint() }}) as persons,
        cast(counted.persons * 1.0 / previous_type_sizes.persons as {{ type_double() }}) as share_of_from_type
    from counted
    -- a departure after the as-of month is not a move yet
    inner join months
        on counted.month_start = months.month_start
    left join transition_kinds
        on
            counted.from_customer_type = transition_kinds.from_customer_type
            and counted.to_customer_type = transition_kinds.to_customer_type
    left join previous_type_sizes
        on
            counted.month_start = previous_type_sizes.month_start
            and counted.from_customer_type = previous_type_sizes.customer_type
)

select * from final
