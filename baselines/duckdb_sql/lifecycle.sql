-- The marts of definitions §6 in one hand-written DuckDB script, without dbt: the engine's
-- near-limit for the benchmark and an independent implementation for the differential test. Written
-- from docs/definitions.md and docs/decisions.md, not from the dbt models.
--
-- Inputs, prepared by run_baseline.py:
--   views raw_orders and raw_touchpoints: the raw columns of definitions §2, all text;
--   table event_stages (event_type, lifecycle_stage): the seed lifecycle_event_stages;
--   table status_map (raw_status, status): the seed order_status_map;
--   variables as_of (a date or null), lapsed_after_days, regular_min_orders, advocacy_window_days.
-- Output: the six marts in schema marts, the quarantine and reconciliation tables in schema audit.
-- Timestamp text without an offset is UTC: the session time zone must be UTC.

set timezone = 'UTC';

create schema if not exists marts;
create schema if not exists audit;

-- definitions §3 trimming: every ASCII whitespace character at either end (decisions #3)
create or replace temp macro trim_whitespace(s) as
    trim(s, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13));

create or replace temp table stage_ranks as
select * from (
    values
        ('awareness', 1), ('interest', 2), ('consideration', 3), ('decision', 4),
        ('purchase', 5), ('loyalty', 6), ('advocacy', 7)
) as t (lifecycle_stage, stage_rank);

-- definitions §3 cleaning and quarantine: parse once, keep the raw text for the audit tables.
create or replace temp table orders_parsed as
with cleaned as (
    select
        *,
        nullif(trim_whitespace(order_id), '') as c_order_id,
        nullif(trim_whitespace(customer_id), '') as c_customer_id,
        timezone('UTC', try_cast(nullif(trim_whitespace(ordered_at), '') as timestamptz)) as c_ordered_at,
        nullif(trim_whitespace(updated_at), '') as updated_text,
        timezone('UTC', try_cast(nullif(trim_whitespace(updated_at), '') as timestamptz)) as c_updated_at,
        lower(nullif(trim_whitespace(status), '')) as status_text,
        -- definitions §2: one of the six as it is, any other status through the map (decisions #61)
        case
            when status_text in ('placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')
                then status_text
            else (select m.status from status_map as m where m.raw_status = status_text)
        end as c_status,
        try_cast(nullif(trim_whitespace(amount), '') as decimal(18, 2)) as c_amount,
        nullif(trim_whitespace(coupon_code), '') as c_coupon_code
    from raw_orders
)
select
    order_id as raw_order_id, customer_id as raw_customer_id, ordered_at as raw_ordered_at,
    updated_at as raw_updated_at, status as raw_status, amount as raw_amount,
    coupon_code as raw_coupon_code,
    c_order_id as order_id,
    c_customer_id as customer_id,
    c_ordered_at as ordered_at,
    coalesce(c_updated_at, c_ordered_at) as updated_at,
    c_status as status,
    list_position(['placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded'], c_status)
        as status_rank,
    c_amount as amount,
    c_coupon_code as coupon_code,
    case
        when c_order_id is null then 'missing_id'
        when c_customer_id is null then 'missing_customer_id'
        when c_ordered_at is null or (updated_text is not null and c_updated_at is null)
            then 'invalid_timestamp'
        when c_status is null
            or c_status not in ('placed', 'paid', 'shipped', 'completed', 'cancelled', 'refunded')
            then 'unknown_status'
        when c_amount is null or c_amount < 0 then 'invalid_amount'
    end as quarantine_reason
from cleaned;

create or replace temp table touchpoints_parsed as
with cleaned as (
    select
        *,
        nullif(trim_whitespace(touchpoint_id), '') as c_touchpoint_id,
        nullif(trim_whitespace(anonymous_id), '') as c_anonymous_id,
        nullif(trim_whitespace(customer_id), '') as c_customer_id,
        timezone('UTC', try_cast(nullif(trim_whitespace(occurred_at), '') as timestamptz)) as c_occurred_at
    from raw_touchpoints
)
select
    touchpoint_id as raw_touchpoint_id, anonymous_id as raw_anonymous_id,
    customer_id as raw_customer_id, occurred_at as raw_occurred_at, channel as raw_channel,
    event_type as raw_event_type, campaign as raw_campaign,
    c_touchpoint_id as touchpoint_id,
    c_anonymous_id as anonymous_id,
    c_customer_id as customer_id,
    c_occurred_at as occurred_at,
    lower(nullif(trim_whitespace(channel), '')) as channel,
    lower(nullif(trim_whitespace(event_type), '')) as event_type,
    nullif(trim_whitespace(campaign), '') as campaign,
    case
        when c_touchpoint_id is null then 'missing_id'
        when c_occurred_at is null then 'invalid_timestamp'
        when c_anonymous_id is null and c_customer_id is null then 'no_identity'
    end as quarantine_reason
from cleaned;

-- definitions §5: the var, or the latest UTC date among kept rows (decisions #8): an order's latest
-- written version (both its dates), a touchpoint_id's earliest row.
create or replace temp table as_of as
select coalesce(
    cast(getvariable('as_of') as date),
    (
        select max(d) from (
            select max(greatest(cast(ordered_at as date), cast(updated_at as date))) as d
            from orders_parsed as o
            where quarantine_reason is null
                and updated_at = (select max(v.updated_at) from orders_parsed as v
                                  where v.order_id = o.order_id and v.quarantine_reason is null)
            union all
            select max(first_at) from (
                select min(cast(occurred_at as date)) as first_at
                from touchpoints_parsed where quarantine_reason is null group by touchpoint_id
            )
        )
    )
) as as_of_date;

-- Orders: the latest version per order_id as of as_of; ties by ordered_at, status order, then
-- (decisions #10) the larger amount and the smaller coupon_code.
create or replace temp table orders_disposed as
with visible as (
    select
        o.*,
        o.quarantine_reason is null
        and cast(o.ordered_at as date) <= a.as_of_date
        and cast(o.updated_at as date) <= a.as_of_date as is_visible
    from orders_parsed as o cross join as_of as a
)
select
    *,
    case
        when quarantine_reason is not null then 'quarantined'
        when not is_visible then 'after_as_of'
        when row_number() over (
            partition by order_id, is_visible
            order by updated_at desc, ordered_at desc, status_rank desc, amount desc,
                coupon_code asc nulls first
        ) = 1 then 'kept'
        else 'collapsed'
    end as disposition
from visible;

-- Touchpoints: the earliest row per touchpoint_id; same time: the row with the customer_id,
-- then anonymous_id, then the smallest texts (decisions #11).
create or replace temp table touchpoints_disposed as
with visible as (
    select
        t.*,
        t.quarantine_reason is null and cast(t.occurred_at as date) <= a.as_of_date as is_visible
    from touchpoints_parsed as t cross join as_of as a
)
select
    *,
    case
        when quarantine_reason is not null then 'quarantined'
        when not is_visible then 'after_as_of'
        when row_number() over (
            partition by touchpoint_id, is_visible
            order by occurred_at, customer_id nulls last, anonymous_id nulls last,
                channel nulls last, event_type nulls last, campaign nulls last
        ) = 1 then 'kept'
        else 'collapsed'
    end as disposition
from visible;

-- definitions §3 identity: an anonymous_id belongs to the customer of its first identified touch.
create or replace temp table identities as
select
    anonymous_id,
    arg_min(customer_id, (occurred_at, customer_id)) as stitched_customer_id
from touchpoints_disposed
where disposition = 'kept' and anonymous_id is not null and customer_id is not null
group by anonymous_id;

create or replace temp table touchpoints as
select
    t.touchpoint_id,
    coalesce(t.customer_id, i.stitched_customer_id, 'anon:' || t.anonymous_id) as person_id,
    coalesce(t.customer_id, i.stitched_customer_id) is not null as is_identified,
    t.anonymous_id,
    t.customer_id,
    t.occurred_at,
    t.channel,
    t.event_type,
    e.lifecycle_stage,
    s.stage_rank,
    t.campaign
from touchpoints_disposed as t
left join identities as i on t.anonymous_id = i.anonymous_id
left join event_stages as e on t.event_type = e.event_type
left join stage_ranks as s on e.lifecycle_stage = s.lifecycle_stage
where t.disposition = 'kept';

create or replace temp table orders as
select
    order_id,
    customer_id as person_id,
    ordered_at,
    status,
    amount,
    coupon_code,
    status not in ('cancelled', 'refunded') as is_valid_purchase,
    case when status not in ('cancelled', 'refunded') then row_number() over (
        partition by customer_id, status not in ('cancelled', 'refunded')
        order by ordered_at, order_id
    ) end as purchase_number
from orders_disposed
where disposition = 'kept';

-- Per person: valid-purchase facts (decisions #17).
create or replace temp table order_facts as
select
    person_id,
    min(ordered_at) filter (where is_valid_purchase) as first_order_at,
    max(ordered_at) filter (where is_valid_purchase) as last_order_at,
    count(*) filter (where is_valid_purchase) as valid_order_count,
    coalesce(sum(amount) filter (where is_valid_purchase), 0) as lifetime_revenue
from orders
group by person_id;

-- definitions §4 observations: one row per person and observed stage, at its first observation.
create or replace temp table observations as
with first_purchase as (
    select person_id, first_order_at from order_facts where first_order_at is not null
),
observed as (
    select person_id, stage_rank, occurred_at as observed_at
    from touchpoints where stage_rank between 1 and 4
    union all
    select person_id, 4, ordered_at from orders where not is_valid_purchase
    union all
    select person_id, 4 + purchase_number, ordered_at from orders where purchase_number in (1, 2)
    union all
    select t.person_id, t.stage_rank, t.occurred_at
    from touchpoints as t
    inner join first_purchase as f
        on t.person_id = f.person_id and t.occurred_at >= f.first_order_at
    where t.stage_rank in (6, 7)
)
select person_id, stage_rank, min(observed_at) as observed_at
from observed
group by person_id, stage_rank;

-- Monotone stages: stage k is entered at the earliest observation of any stage >= k.
create or replace temp table stages_entered as
with reach as (
    select person_id, max(stage_rank) as top_rank from observations group by person_id
),
grid as (
    select r.person_id, r.top_rank, s.lifecycle_stage, s.stage_rank, o.observed_at
    from reach as r
    inner join stage_ranks as s on s.stage_rank <= r.top_rank
    left join observations as o on r.person_id = o.person_id and s.stage_rank = o.stage_rank
),
entered as (
    select
        *,
        min(observed_at) over (
            partition by person_id order by stage_rank desc rows unbounded preceding
        ) as entered_at
    from grid
)
select
    person_id,
    lifecycle_stage,
    stage_rank,
    entered_at,
    observed_at,
    observed_at is null as is_inferred,
    lead(entered_at) over (partition by person_id order by stage_rank) as exited_at,
    stage_rank = top_rank as is_current
from entered;

create or replace temp table persons as
with seen as (
    select person_id, is_identified, occurred_at as seen_at from touchpoints
    union all
    select person_id, true, ordered_at from orders
),
first_touch as (
    select person_id, arg_min(channel, (occurred_at, touchpoint_id)) as acquisition_channel
    from touchpoints
    group by person_id
)
select
    s.person_id,
    bool_or(s.is_identified) as is_identified,
    min(s.seen_at) as first_seen_at,
    any_value(f.acquisition_channel) as acquisition_channel
from seen as s
left join first_touch as f on s.person_id = f.person_id
group by s.person_id;

-- definitions §5 customer types.
create or replace temp table customer_types as
with last_advocacy as (
    select t.person_id, max(t.occurred_at) as last_advocacy_at
    from touchpoints as t
    inner join order_facts as f
        on t.person_id = f.person_id and t.occurred_at >= f.first_order_at
    where t.lifecycle_stage = 'advocacy'
    group by t.person_id
)
select
    p.person_id,
    date_diff('day', cast(f.last_order_at as date), a.as_of_date) as days_since_last_order,
    case
        when coalesce(f.valid_order_count, 0) = 0 then 'potential'
        when date_diff('day', cast(f.last_order_at as date), a.as_of_date)
            > getvariable('lapsed_after_days') then 'lapsed'
        when f.valid_order_count < getvariable('regular_min_orders') then 'new'
        when date_diff('day', cast(l.last_advocacy_at as date), a.as_of_date)
            <= getvariable('advocacy_window_days') then 'loyal'
        else 'regular'
    end as customer_type
from persons as p
cross join as_of as a
left join order_facts as f on p.person_id = f.person_id
left join last_advocacy as l on p.person_id = l.person_id;

-- definitions §6 marts.
create or replace table marts.fct_touchpoints as
select
    touchpoint_id, person_id, anonymous_id, customer_id, occurred_at, channel, event_type,
    lifecycle_stage, campaign
from touchpoints;

create or replace table marts.fct_orders as
select
    order_id, person_id, ordered_at, status, amount, coupon_code, is_valid_purchase,
    purchase_number
from orders;

create or replace table marts.customer_lifecycle_stages as
select
    person_id, lifecycle_stage, stage_rank, entered_at, observed_at, is_inferred, exited_at,
    is_current
from stages_entered;

create or replace table marts.dim_customers as
select
    p.person_id,
    case when p.is_identified then p.person_id end as customer_id,
    p.is_identified,
    p.first_seen_at,
    f.first_order_at,
    f.last_order_at,
    coalesce(f.valid_order_count, 0) as valid_order_count,
    cast(coalesce(f.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
    c.days_since_last_order,
    p.acquisition_channel,
    c.customer_type,
    s.lifecycle_stage,
    s.entered_at as lifecycle_stage_entered_at,
    a.as_of_date
from persons as p
cross join as_of as a
left join order_facts as f on p.person_id = f.person_id
left join customer_types as c on p.person_id = c.person_id
left join stages_entered as s on p.person_id = s.person_id and s.is_current;

create or replace table marts.lifecycle_funnel as
with steps as (
    select
        stage_rank,
        date_diff(
            'second',
            lag(entered_at) over (partition by person_id order by stage_rank),
            entered_at
        ) / 86400.0 as days_from_previous
    from stages_entered
),
per_stage as (
    select
        s.lifecycle_stage,
        s.stage_rank,
        count(st.stage_rank) as persons_entered,
        median(st.days_from_previous) as median_days_from_previous
    from stage_ranks as s
    left join steps as st on s.stage_rank = st.stage_rank
    group by s.lifecycle_stage, s.stage_rank
)
select
    lifecycle_stage,
    stage_rank,
    persons_entered,
    case
        when stage_rank = 1 then (case when persons_entered > 0 then 1.0 end)
        else persons_entered / nullif(lag(persons_entered) over (order by stage_rank), 0)
    end::double as conversion_from_previous,
    (persons_entered / nullif(first_value(persons_entered) over (order by stage_rank), 0))::double
        as conversion_from_first,
    median_days_from_previous::double as median_days_from_previous
from per_stage;

create or replace table marts.customer_type_summary as
with types as (
    select * from (values ('potential'), ('new'), ('regular'), ('loyal'), ('lapsed')) as t (customer_type)
),
per_type as (
    select
        customer_type,
        count(*) as persons,
        sum(valid_order_count) as valid_orders,
        sum(lifetime_revenue) as revenue
    from marts.dim_customers
    group by customer_type
)
select
    t.customer_type,
    coalesce(p.persons, 0) as persons,
    (coalesce(p.persons, 0) / nullif((select count(*) from marts.dim_customers), 0))::double
        as share_of_persons,
    coalesce(p.valid_orders, 0) as valid_orders,
    cast(coalesce(p.revenue, 0) as decimal(18, 2)) as revenue,
    cast(p.revenue / p.persons as decimal(18, 2)) as avg_revenue_per_person
from types as t
left join per_type as p on t.customer_type = p.customer_type;

-- Audit: quarantined rows as they arrived, and where every raw row went.
create or replace table audit.quarantined_orders as
select
    raw_order_id as order_id, raw_customer_id as customer_id, raw_ordered_at as ordered_at,
    raw_updated_at as updated_at, raw_status as status, raw_amount as amount,
    raw_coupon_code as coupon_code, quarantine_reason
from orders_parsed
where quarantine_reason is not null;

create or replace table audit.quarantined_touchpoints as
select
    raw_touchpoint_id as touchpoint_id, raw_anonymous_id as anonymous_id,
    raw_customer_id as customer_id, raw_occurred_at as occurred_at, raw_channel as channel,
    raw_event_type as event_type, raw_campaign as campaign, quarantine_reason
from touchpoints_parsed
where quarantine_reason is not null;

create or replace table audit.row_reconciliation as
select
    raw_table,
    count(*) as raw_rows,
    count(*) filter (where disposition = 'kept') as kept_rows,
    count(*) filter (where disposition = 'collapsed') as collapsed_rows,
    count(*) filter (where disposition = 'quarantined') as quarantined_rows,
    count(*) filter (where disposition = 'after_as_of') as after_as_of_rows
from (
    select 'orders' as raw_table, disposition from orders_disposed
    union all
    select 'touchpoints', disposition from touchpoints_disposed
)
group by raw_table;
