-- Every model cross joins int_as_of_date: more than one row would multiply rows, none would
-- empty the marts. It is null only when no raw row is usable.
with

as_of as (
    select as_of_date
    from {{ ref('int_as_of_date') }}
),

checks as (
    select
        (select count(*) from as_of) as as_of_rows,
        (
            select count(*)
            from as_of
            where as_of_date is null
        ) as null_as_of_rows,
        (select count(*) from {{ ref('int_persons') }}) as persons
)

select *
from checks
where as_of_rows != 1 or (null_as_of_rows > 0 and persons > 0)
