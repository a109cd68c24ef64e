with

entered_stages as (
    select
        person_id,
        lifecycle_stage,
        stage_rank,
        entered_at,
        observed_at,
        is_inferred,
        exited_at,
        is_current
    from {{ ref('int_lifecycle_stages_entered') }}
),

final as (
    select
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(stage_rank as {{ dbt.type_int() }}) as stage_rank,
        cast(entered_at as {{ dbt.type_timestamp() }}) as entered_at,
        cast(observed_at as {{ dbt.type_timestamp() }}) as observed_at,
        is_inferred,
        cast(exited_at as {{ dbt.type_timestamp() }}) as exited_at,
        is_current
    from entered_stages
)

select * from final
