-- Where every raw row went (docs/definitions.md §3): one row per raw table, raw = kept + collapsed
-- + quarantined + after_as_of. raw_rows is counted on staging (one row per source row, tested) and
-- the dispositions on the intermediate models, so unaccounted_rows shows a row lost between.
with

staged_orders as (
    select order_id
    from {{ ref('stg_raw__orders') }}
),

staged_touchpoints as (
    select touchpoint_id
    from {{ ref('stg_raw__touchpoints') }}
),

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
    select
        'orders' as raw_table,
        (select count(*) from staged_orders) as raw_rows
    union all
    select
        'touchpoints' as raw_table,
        (select count(*) from staged_touchpoints) as raw_rows
),

counted as (
    select
        raw_tables.raw_table,
        raw_tables.raw_rows,
        sum(case when dispositions.row_disposition = 'kept' then 1 else 0 end) as kept_rows,
        sum(case when dispositions.row_disposition = 'collapsed' then 1 else 0 end) as collapsed_rows,
        sum(case when dispositions.row_disposition = 'quarantined' then 1 else 0 end) as quarantined_rows,
        sum(case when dispositions.row_disposition = 'after_as_of' then 1 else 0 end) as after_as_of_rows
    from raw_tables
    left join dispositions
        on raw_tables.raw_table = dispositions.raw_table
    group by raw_tables.raw_table, raw_tables.raw_rows
),

final as (
    select
        cast(raw_table as {{ dbt.type_string() }}) as raw_table,
        cast(raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(coalesce(kept_rows, 0) as {{ dbt.type_bigint() }}) as kept_rows,
        cast(coalesce(collapsed_rows, 0) as {{ dbt.type_bigint() }}) as collapsed_rows,
        cast(coalesce(quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(coalesce(after_as_of_rows, 0) as {{ dbt.type_bigint() }}) as after_as_of_rows,
        cast(
            raw_rows - coalesce(kept_rows + collapsed_rows + quarantined_rows + after_as_of_rows, 0)
            as {{ dbt.type_bigint() }}
        ) as unaccounted_rows,
        cast(
            case when raw_rows > 0 then coalesce(quarantined_rows, 0) * 1.0 / raw_rows end
            as {{ type_double() }}
        ) as quarantine_rate
    from counted
)

select * from final
