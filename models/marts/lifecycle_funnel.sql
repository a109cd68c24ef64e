with

stages as (
    select
        lifecycle_stage,
        stage_rank
    from {{ ref('lifecycle_stages') }}
),

entered_stages as (
    select
        person_id,
        stage_rank,
        entered_at
    from {{ ref('int_lifecycle_stages_entered') }}
),

stage_steps as (
    select
        stage_rank,
        entered_at,
        lag(entered_at) over (
            partition by person_id
            order by stage_rank asc
        ) as previous_entered_at
    from entered_stages
),

stage_counts as (
    select
        stage_rank,
        count(*) as persons_entered,
        {{ median(dbt.datediff('previous_entered_at', 'entered_at', 'second') ~ ' / 86400.0') }}
            as median_days_from_previous
    from stage_steps
    group by stage_rank
),

every_stage as (
    -- all seven stages, also those nobody entered
    select
        stages.lifecycle_stage,
        stages.stage_rank,
        coalesce(stage_counts.persons_entered, 0) as persons_entered,
        stage_counts.median_days_from_previous
    from stages
    left join stage_counts
        on stages.stage_rank = stage_counts.stage_rank
),

with_denominators as (
    select
        *,
        lag(persons_entered) over (order by stage_rank asc) as previous_persons_entered,
        first_value(persons_entered) over (
            order by stage_rank asc
            rows between unbounded preceding and current row
        ) as first_persons_entered
    from every_stage
),

final as (
    select
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(stage_rank as {{ dbt.type_int() }}) as stage_rank,
        cast(persons_entered as {{ dbt.type_bigint() }}) as persons_entered,
        cast(
            case
                when stage_rank = 1 and persons_entered > 0 then 1.0
                when previous_persons_entered > 0
                    then persons_entered * 1.0 / previous_persons_entered
            end as {{ type_double() }}
        ) as conversion_from_previous,
        cast(
            case
                when first_persons_entered > 0
                    then persons_entered * 1.0 / first_persons_entered
            end as {{ type_double() }}
        ) as conversion_from_first,
        cast(median_days_from_previous as {{ type_double() }}) as median_days_from_previous
    from with_denominators
)

select * from final
