-- Per person, every stage up to the highest one observed (docs/definitions.md §4): stage k is
-- entered at the earliest observation of any stage >= k; a stage implied by a later one is
-- inferred.
with

observations as (
    select
        person_id,
        stage_rank,
        observed_at
    from {{ ref('int_stage_observations') }}
),

stages as (
    select
        lifecycle_stage,
        stage_rank
    from {{ ref('lifecycle_stages') }}
),

person_reach as (
    select
        person_id,
        max(stage_rank) as current_stage_rank
    from observations
    group by person_id
),

person_stages as (
    -- at most seven rows per person: the stages up to the highest one reached
    select
        person_reach.person_id,
        person_reach.current_stage_rank,
        stages.lifecycle_stage,
        stages.stage_rank
    from person_reach
    inner join stages
        on person_reach.current_stage_rank >= stages.stage_rank
),

observed as (
    select
        person_stages.person_id,
        person_stages.current_stage_rank,
        person_stages.lifecycle_stage,
        person_stages.stage_rank,
        observations.observed_at
    from person_stages
    left join observations
        on
            person_stages.person_id = observations.person_id
            and person_stages.stage_rank = observations.stage_rank
),

entered as (
    select
        *,
        min(observed_at) over (
            partition by person_id
            order by stage_rank desc
            rows between unbounded preceding and current row
        ) as entered_at
    from observed
),

final as (
    select
        person_id,
        lifecycle_stage,
        stage_rank,
        entered_at,
        observed_at,
        observed_at is null as is_inferred,
        lead(entered_at) over (
            partition by person_id
            order by stage_rank asc
        ) as exited_at,
        stage_rank = current_stage_rank as is_current
    from entered
)

select * from final
