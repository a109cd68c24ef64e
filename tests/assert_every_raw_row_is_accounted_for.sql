-- docs/definitions.md §3: every raw row ends up in exactly one place. The reconciliation must count
-- every row of the source and agree with the rows actually in the marts and the quarantine; that
-- its counts add up (unaccounted_rows 0) is the Great Expectations suite raw_quality's
-- (docs/decisions.md #84).
with

raw_counts as (
    select
        'orders' as raw_table,
        count(*) as source_rows
    from {{ source('raw', 'orders') }}
    union all
    select
        'touchpoints' as raw_table,
        count(*) as source_rows
    from {{ source('raw', 'touchpoints') }}
),

landed_counts as (
    select
        'orders' as raw_table,
        (select count(*) from {{ ref('fct_orders') }}) as mart_rows,
        (select count(*) from {{ ref('quarantined_orders') }}) as audit_rows
    union all
    select
        'touchpoints' as raw_table,
        (select count(*) from {{ ref('fct_touchpoints') }}) as mart_rows,
        (select count(*) from {{ ref('quarantined_touchpoints') }}) as audit_rows
),

reconciliation as (
    select
        raw_table,
        raw_rows,
        kept_rows,
        collapsed_rows,
        quarantined_rows,
        after_as_of_rows
    from {{ ref('row_reconciliation') }}
),

compared as (
    select
        raw_counts.raw_table,
        raw_counts.source_rows,
        reconciliation.raw_rows,
        reconciliation.kept_rows,
        reconciliation.collapsed_rows,
        reconciliation.quarantined_rows,
        reconciliation.after_as_of_rows,
        landed_counts.mart_rows,
        landed_counts.audit_rows
    from raw_counts
    left join reconciliation
        on raw_counts.raw_table = reconciliation.raw_table
    left join landed_counts
        on raw_counts.raw_table = landed_counts.raw_table
)

select *
from compared
where
    raw_rows is null
    or source_rows != raw_rows
    or kept_rows != mart_rows
    or quarantined_rows != audit_rows
