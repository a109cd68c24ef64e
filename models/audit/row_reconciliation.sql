-- Where every raw row went (SPEC §3): one row per raw table, raw = kept + collapsed +
-- quarantined + after_as_of (a data test checks the sum against the source).
with

order_rows as (
    select row_disposition
    from {{ ref('int_orders_versioned') }}
),

touchpoint_rows as (
    select row_disposition
    from {{ ref('int_touchpoints_deduplicated') }}
),

dispositions as (
    select
        'orders' as raw_table,
        row_disposition
    from order_rows
    union all
    select
        'touchpoints' as raw_table,
        row_disposition
    from touchpoint_rows
),

raw_tables as (
    select 'orders' as raw_table
    union all
    select 'touchpoints' as raw_table
),

counted as (
    select
        raw_tables.raw_table,
        count(dispositions.row_disposition) as raw_rows,
        sum(case when dispositions.row_disposition = 'kept' then 1 else 0 end) as kept_rows,
        sum(case when dispositions.row_disposition = 'collapsed' then 1 else 0 end) as collapsed_rows,
        sum(case when dispositions.row_disposition = 'quarantined' then 1 else 0 end) as quarantined_rows,
        sum(case when dispositions.row_disposition = 'after_as_of' then 1 else 0 end) as after_as_of_rows
    from raw_tables
    left join dispositions
        on raw_tables.raw_table = dispositions.raw_table
    group by raw_tables.raw_table
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(coalesce(kept_rows, 0) as {{ dbt.type_bigint() }}) as kept_rows,
        cast(coalesce(collapsed_rows, 0) as {{ dbt.type_bigint() }}) as collapsed_rows,
        cast(coalesce(quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(coalesce(after_as_of_rows, 0) as {{ dbt.type_bigint() }}) as after_as_of_rows
    from counted
)

select * from final
